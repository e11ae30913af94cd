"""Routers of the web service; ``web/app.py`` lists them in ``_routers()``."""

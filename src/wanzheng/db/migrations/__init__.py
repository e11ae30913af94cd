"""Alembic migrations of the case-desk schema, shipped inside the package."""

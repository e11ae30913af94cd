"""network: the walking graph as arrays, snapping, isochrones; ``engine`` is the fast core."""

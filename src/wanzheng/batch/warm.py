"""Import what an audit uses, once, when a batch worker starts (a Dask preload module).

A worker process imports its task's stack — wanzheng's audit modules, pandas, scipy,
pyosmium, openpyxl — on its first area, inside that area's time: about 1.5 CPU s, paid again
by every fresh worker. The local cluster of ``wanzheng batch run`` names this module as its
workers' preload (``LocalCluster(preload=…)``), so each worker imports it while it starts, before
any task; on an existing cluster, start the workers with ``dask worker … --preload
wanzheng.batch.warm`` for the same. Importing it has no other effect.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version

MODULES = (
    "wanzheng.pipeline",
    "wanzheng.settings",
    "wanzheng.standards.catalogue",
    "wanzheng.standards.rules",
    "wanzheng.geo.coords",
    "wanzheng.geo.projection",
    "wanzheng.data.osm",
    "wanzheng.data.ledger",
    "wanzheng.data.communities",
    "wanzheng.data.tabular",
    "wanzheng.network.graph",
    "wanzheng.network.snapping",
    "wanzheng.network.engine",
    "wanzheng.audit.compute",
    "wanzheng.audit.population",
    "wanzheng.audit.run",
    "wanzheng.report",
    "openpyxl.writer.excel",
    "openpyxl.packaging.extended",
    "pandas.io.formats.csvs",
    "pandas.core.methods.to_dict",
)
"""The modules an audit imports on its first run (found by running one in a fresh process;
``tests/batch/test_batch.py`` checks that none is left)."""

for _name in MODULES:
    importlib.import_module(_name)
version("wanzheng")  # the fingerprint's; reads the package metadata (and its email parser)

"""Batch audits: many areas, one Dask task per area (``wanzheng batch run``).

:func:`load_manifest` reads the areas, :func:`run_batch` audits them (serially, on a local
cluster of worker processes, or on an existing Dask cluster) through the same
:func:`wanzheng.pipeline.audit_to_dir` as ``wanzheng audit``, and :func:`build_summary` /
:func:`write_summary` give one table of every area's communities ranked by residents
affected. See ``docs/batch.md``.
"""

from wanzheng.batch.manifest import Area, load_manifest
from wanzheng.batch.run import (
    STATE_NAME,
    AreaFailure,
    AreaOutcome,
    BatchRun,
    audit_area_task,
    fingerprint,
    run_batch,
    worker_threads,
)
from wanzheng.batch.summary import SUMMARY_COLUMNS, build_summary, write_summary

__all__ = [
    "STATE_NAME",
    "SUMMARY_COLUMNS",
    "Area",
    "AreaFailure",
    "AreaOutcome",
    "BatchRun",
    "audit_area_task",
    "build_summary",
    "fingerprint",
    "load_manifest",
    "run_batch",
    "worker_threads",
    "write_summary",
]

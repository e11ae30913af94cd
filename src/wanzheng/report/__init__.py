"""The audit's output files: CSV, XLSX, GeoPackage and one self-contained HTML report.

:func:`write_outputs` turns an :class:`~wanzheng.audit.AuditResult` into a directory::

    communities.csv    one row per community (UTF-8 with BOM)
    communities.xlsx   the same for people, with the catalogue and the sources
    facilities.csv     one row per facility and kind
    audit.gpkg         layers communities, facilities, network (EPSG:4326)
    report.html        map, summary, tables and charts in one offline file

The directory appears complete or not at all: everything is built in a temporary sibling
directory and renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wanzheng.audit.result import AuditResult
from wanzheng.errors import ConflictError, DataError
from wanzheng.report._common import ProgressCallback
from wanzheng.report.gpkg import write_dashboard_extras, write_gpkg
from wanzheng.report.html import render_html, write_html
from wanzheng.report.tables import (
    communities_table,
    facilities_table,
    write_communities_csv,
    write_communities_xlsx,
    write_facilities_csv,
)

__all__ = [
    "BATCH_STATE_NAME",
    "OUTPUT_NAMES",
    "OutputFiles",
    "ProgressCallback",
    "communities_table",
    "facilities_table",
    "render_html",
    "write_dashboard_extras",
    "write_outputs",
]

OUTPUT_NAMES: tuple[str, ...] = (
    "communities.csv",
    "communities.xlsx",
    "facilities.csv",
    "audit.gpkg",
    "report.html",
)
"""The files :func:`write_outputs` writes, in writing order."""


@dataclass(frozen=True, slots=True)
class OutputFiles:
    """Paths of the files one :func:`write_outputs` call wrote (all inside ``out_dir``)."""

    out_dir: Path
    communities_csv: Path
    communities_xlsx: Path
    facilities_csv: Path
    gpkg: Path
    report_html: Path

    @classmethod
    def in_dir(cls, out_dir: Path) -> OutputFiles:
        """The output paths inside ``out_dir``."""
        return cls(
            out_dir=out_dir,
            communities_csv=out_dir / "communities.csv",
            communities_xlsx=out_dir / "communities.xlsx",
            facilities_csv=out_dir / "facilities.csv",
            gpkg=out_dir / "audit.gpkg",
            report_html=out_dir / "report.html",
        )

    def all(self) -> tuple[Path, ...]:
        """Every file, in writing order."""
        return (
            self.communities_csv,
            self.communities_xlsx,
            self.facilities_csv,
            self.gpkg,
            self.report_html,
        )


_SIDECAR_SUFFIXES = (".aux.xml", "-wal", "-shm", "-journal")

BATCH_STATE_NAME = ".wanzheng-batch.json"
"""What ``wanzheng batch`` records in an area's folder after a good run (its resume state,
:data:`wanzheng.batch.STATE_NAME`); part of an output folder, replaced with it."""


def _is_ours(name: str) -> bool:
    """An output file, or a file a reader leaves next to one (GDAL/SQLite sidecars of the
    GeoPackage, the lock file of a spreadsheet open in Excel or LibreOffice)."""
    if name in OUTPUT_NAMES or name in (BATCH_STATE_NAME, f"{BATCH_STATE_NAME}.tmp"):
        return True
    for out in OUTPUT_NAMES:
        if name in (f"~${out}", f".~lock.{out}#"):
            return True
        if name.startswith(out) and name[len(out) :] in _SIDECAR_SUFFIXES:
            return True
    return False


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace anything but a previous output directory (or an empty one)."""
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if out_dir.is_symlink():
        raise DataError(f"{out_dir}: is a symbolic link; choose a plain directory for --out")
    if not out_dir.is_dir():
        raise DataError(f"{out_dir}: exists and is not a directory; choose another --out")
    foreign = sorted(p.name for p in out_dir.iterdir() if not _is_ours(p.name))
    if foreign:
        shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
        raise ConflictError(
            f"{out_dir}: refusing to replace a directory that holds files which are not "
            f"audit outputs ({shown}); choose an empty or new --out directory"
        )


def write_outputs(
    result: AuditResult,
    out_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    title: str | None = None,
) -> OutputFiles:
    """Write every output file of an audit into ``out_dir``, atomically.

    The files are built in a temporary directory next to ``out_dir`` and renamed into place
    only when all are complete. An existing ``out_dir`` is replaced (moved aside, the new one
    renamed in, the old one deleted), but only when it holds nothing except earlier audit
    outputs (and the sidecar files GIS and spreadsheet programs leave next to them). On any
    failure the temporary directory is removed and the error re-raised, so no partial output
    is ever left looking complete.

    Parameters
    ----------
    result
        The audit to write.
    out_dir
        Destination directory; its parent is created when missing.
    progress
        ``progress(step, done, total)``, called before each file with the file name, the number
        of files done and the total (5), and once more with ``("done", 5, 5)``. To drive a
        ``rich.progress`` task: ``lambda s, d, t: bar.update(task, description=s,
        completed=d, total=t)``.
    title
        Title of the HTML report; default ``完整社区体检报告 · <area name>``
        (:func:`wanzheng.report.html.area_name`).

    Returns
    -------
    OutputFiles
        The paths written.

    Raises
    ------
    DataError
        ``out_dir`` exists and is a file.
    ConflictError
        ``out_dir`` holds files that are not audit outputs (it is never replaced then).
    """
    out_dir = Path(out_dir)
    target = Path(os.path.abspath(out_dir))  # '.' and 'a/..' have a name and a parent
    _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    files = OutputFiles.in_dir(tmp)
    writers: list[tuple[Path, Callable[[], None]]] = [
        (files.communities_csv, lambda: write_communities_csv(result, files.communities_csv)),
        (files.communities_xlsx, lambda: write_communities_xlsx(result, files.communities_xlsx)),
        (files.facilities_csv, lambda: write_facilities_csv(result, files.facilities_csv)),
        (files.gpkg, lambda: write_gpkg(result, files.gpkg)),
        (files.report_html, lambda: write_html(result, files.report_html, title=title)),
    ]
    total = len(writers)
    try:
        for done, (path, write) in enumerate(writers):
            if progress is not None:
                progress(path.name, done, total)
            write()
        os.chmod(tmp, 0o755)  # mkdtemp creates 0700; outputs are meant to be shared
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if progress is not None:
        progress("done", total, total)
    return OutputFiles.in_dir(out_dir)


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename ``tmp`` to ``out_dir``; an existing ``out_dir`` is moved aside, then deleted."""
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()  # only the unique name is wanted; rename needs the target not to exist
    out_dir.rename(old)
    try:
        tmp.rename(out_dir)
    except BaseException:
        with contextlib.suppress(OSError):
            old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)

"""``wanzheng batch`` on a real Dask cluster of two worker processes, against single audits.

One module-scoped LocalCluster (processes, one thread each) serves every test here; the batch
reaches it by its address, as it would an existing cluster. The areas are the small real
extracts of tests/data; a corrupt copy of one is the broken area.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import Workbook, load_workbook

from wanzheng.batch import (
    STATE_NAME,
    SUMMARY_COLUMNS,
    BatchRun,
    build_summary,
    load_manifest,
    run_batch,
    write_summary,
)
from wanzheng.data.audit_output import load_audit_output
from wanzheng.errors import DataError

WANZHENG = [sys.executable, "-c", "from wanzheng.cli import main; main()"]
TABLES = ("communities.csv", "facilities.csv")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WANZHENG, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Address of a local Dask cluster of 2 worker processes, one thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit="2GiB",
    ) as cluster:
        yield str(cluster.scheduler_address)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """Inputs copied next to a TOML manifest with relative paths, and one broken extract."""
    root = tmp_path_factory.mktemp("batch")
    inputs = root / "inputs"
    inputs.mkdir()
    shutil.copy(data_dir / "osm_bj_haidian_cau_2026" / "map.osm.pbf", inputs / "cau.osm.pbf")
    shutil.copy(data_dir / "osm_bj_haidian_tsinghua_2017" / "map.osm.pbf", inputs / "thu.osm.pbf")
    shutil.copy(data_dir / "inputs" / "ledger_haidian.csv", inputs / "ledger.csv")
    shutil.copy(data_dir / "inputs" / "communities_haidian.geojson", inputs / "comms.geojson")
    (inputs / "broken.osm").write_text("<osm version='0.6'><node id='1' lat='40.0'", "utf-8")
    (root / "batch.toml").write_text(
        """
[[area]]
name = "农大"
osm = "inputs/cau.osm.pbf"
out = "out/cau"
ledger = "inputs/ledger.csv"
communities = "inputs/comms.geojson"
date = 2025-06-30

[[area]]
name = "清华"
osm = "inputs/thu.osm.pbf"
out = "out/thu"

[[area]]
name = "坏的"
osm = "inputs/broken.osm"
out = "out/broken"
""",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def first(workdir: Path, scheduler: str) -> BatchRun:
    """The first batch run on the cluster: everything audited (the broken area fails)."""
    return run_batch(load_manifest(workdir / "batch.toml"), scheduler=scheduler, retries=1)


def by_name(run: BatchRun) -> dict[str, Any]:
    return {o.name: o for o in run.outcomes}


def test_first_run_audits_good_areas_and_isolates_the_broken_one(first: BatchRun) -> None:
    got = by_name(first)
    assert [o.name for o in first.outcomes] == ["农大", "清华", "坏的"]
    assert got["农大"].status == "done"
    assert got["清华"].status == "done"
    broken = got["坏的"]
    assert broken.status == "failed"
    assert broken.stage == "load"
    assert "broken.osm" in broken.message
    assert not Path(broken.out).exists()
    for name in ("农大", "清华"):
        # measured in the worker process: at least the audit's own arrays, below the limit
        start, peak = got[name].start_rss_bytes, got[name].peak_rss_bytes
        assert 50 * 2**20 < start <= peak < 2 * 2**30
        # the worker's CPU time over the task: some, and no more than its cores could give
        # in the task's wall time (os.cpu_count(): the worker's engine may use them all)
        cpu, wall = got[name].cpu_seconds, got[name].seconds
        assert 0 < cpu <= wall * (os.cpu_count() or 1) + 0.05
        assert (Path(got[name].out) / STATE_NAME).is_file()
    assert first.scheduler.startswith("tcp://127.0.0.1:")


def _xlsx_cells(path: Path) -> list[list[list[Any]]]:
    wb = load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        sheets.append([r for r in rows if r and r[0] != "生成时间（UTC）"])
    return sheets


def _gpkg_layers(path: Path) -> dict[str, Any]:
    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})  # no .aux.xml beside it
    out = {}
    for name, _ in pyogrio.list_layers(path):
        meta, _, geometry, values = pyogrio.raw.read(path, layer=name)
        out[str(name)] = (
            list(meta["fields"]),
            None if geometry is None else [bytes(g) for g in geometry],
            [[None if x != x else x for x in np.asarray(v).tolist()] for v in values],  # NaN
        )
    return out


def test_area_folder_is_what_wanzheng_audit_writes(
    first: BatchRun, workdir: Path, tmp_path: Path
) -> None:
    inputs = workdir / "inputs"
    alone = tmp_path / "alone"
    proc = cli(
        "audit",
        str(inputs / "cau.osm.pbf"),
        "--out",
        str(alone),
        "--facilities",
        str(inputs / "ledger.csv"),
        "--communities",
        str(inputs / "comms.geojson"),
        "--date",
        "2025-06-30",
    )
    assert proc.returncode == 0, proc.stderr
    batch = workdir / "out" / "cau"
    assert sorted(p.name for p in batch.iterdir()) == sorted(
        [*(p.name for p in alone.iterdir()), STATE_NAME]
    )
    for name in TABLES:
        assert (batch / name).read_bytes() == (alone / name).read_bytes(), name
    assert _xlsx_cells(batch / "communities.xlsx") == _xlsx_cells(alone / "communities.xlsx")
    assert _gpkg_layers(batch / "audit.gpkg") == _gpkg_layers(alone / "audit.gpkg")
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    html_batch = (batch / "report.html").read_text(encoding="utf-8")
    html_alone = (alone / "report.html").read_text(encoding="utf-8")
    assert len(stamp.findall(html_batch)) == 1
    assert stamp.sub("", html_batch) == stamp.sub("", html_alone)
    # the manifest's date is the audit's date, as `wanzheng audit --date` records it
    assert load_audit_output(batch).sources["audit_date"] == "2025-06-30"
    assert load_audit_output(workdir / "out" / "thu").sources.get("audit_date") is None


def test_serial_run_gives_the_same_tables(first: BatchRun, workdir: Path, tmp_path: Path) -> None:
    (tmp_path / "serial.toml").write_text(
        f'[[area]]\nname = "清华"\nosm = "{workdir / "inputs" / "thu.osm.pbf"}"\nout = "thu"\n',
        encoding="utf-8",
    )
    run = run_batch(load_manifest(tmp_path / "serial.toml"), serial=True)
    assert run.outcomes[0].status == "done"
    for name in TABLES:
        assert (tmp_path / "thu" / name).read_bytes() == (
            workdir / "out" / "thu" / name
        ).read_bytes()


def _independent_summary(workdir: Path) -> pd.DataFrame:
    """Each area's communities.csv, residents affected computed here from its columns."""
    frames = []
    for area, folder in (("农大", "cau"), ("清华", "thu")):
        with (workdir / "out" / folder / "communities.csv").open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:
            pop = float(r["population"]) if r["population"] else 0.0
            frames.append(
                {
                    "area": area,
                    "community_id": r["id"],
                    "verdict": r["verdict"],
                    "residents_affected": round(pop) if r["verdict"] == "incomplete" else 0,
                }
            )
    return pd.DataFrame(frames)


def test_summary_ranks_every_community_by_residents_affected(
    first: BatchRun, workdir: Path, tmp_path: Path
) -> None:
    summary = build_summary(first.outcomes)
    expected = _independent_summary(workdir)
    assert len(summary) == len(expected) == 9  # 3 communities in the file, 6 in the extract
    assert set(summary["area"]) == {"农大", "清华"}
    key = ["area", "community_id"]
    merged = summary.merge(expected, on=key, suffixes=("", "_csv"))
    assert len(merged) == len(expected)
    assert (merged["verdict"] == merged["verdict_csv"]).all()
    assert (merged["residents_affected"] == merged["residents_affected_csv"]).all()
    assert summary["residents_affected"].max() > 0  # the community file gives populations
    affected = summary["residents_affected"].to_numpy()
    assert (np.diff(affected) <= 0).all()
    assert summary["rank"].tolist() == list(range(1, len(summary) + 1))

    for suffix in (".csv", ".xlsx", ".gpkg"):
        write_summary(summary, tmp_path / f"summary{suffix}")
    with (tmp_path / "summary.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    assert [int(r["residents_affected"]) for r in rows] == affected.tolist()
    ws = load_workbook(tmp_path / "summary.xlsx").active
    assert ws is not None
    cells = list(ws.iter_rows(values_only=True))
    assert list(cells[0]) == list(SUMMARY_COLUMNS)
    assert [r[0] for r in cells[1:]] == list(range(1, len(summary) + 1))
    meta, _, geometry, values = pyogrio.raw.read(tmp_path / "summary.gpkg", layer="summary")
    assert len(geometry) == len(summary)
    fields = list(meta["fields"])
    assert values[fields.index("residents_affected")].tolist() == affected.tolist()


def test_resume_skips_unchanged_areas_and_force_reruns(
    first: BatchRun, workdir: Path, scheduler: str
) -> None:
    areas = load_manifest(workdir / "batch.toml")
    report = workdir / "out" / "thu" / "report.html"
    stamp = report.stat().st_mtime_ns
    again = by_name(run_batch(areas, scheduler=scheduler))
    assert again["农大"].status == again["清华"].status == "skipped"
    assert again["坏的"].status == "failed"
    assert report.stat().st_mtime_ns == stamp
    # a skipped area still gives its communities to the summary
    assert len(build_summary(list(again.values()))) == len(build_summary(first.outcomes))

    # a changed input file reruns its area only
    ledger = workdir / "inputs" / "ledger.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = by_name(run_batch(areas, scheduler=scheduler))
    assert changed["农大"].status == "done"
    assert changed["清华"].status == "skipped"

    forced = by_name(run_batch(areas[1:2], scheduler=scheduler, force=True))
    assert forced["清华"].status == "done"
    assert report.stat().st_mtime_ns != stamp


def test_cli_on_the_cluster_prints_failures_peak_and_writes_summary(
    first: BatchRun, workdir: Path, scheduler: str, tmp_path: Path
) -> None:
    summary = tmp_path / "province.xlsx"
    proc = cli(
        "batch", "run", str(workdir / "batch.toml"), "--scheduler", scheduler,
        "--summary", str(summary),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "坏的: stage load:" in proc.stderr and "broken.osm" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "largest peak memory" in proc.stdout
    assert "0 audited, 2 unchanged (skipped), 1 failed" in proc.stdout
    assert summary.is_file()


def test_manifest_in_xlsx_reads_like_toml(workdir: Path, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["name", "osm", "out", "ledger", "communities", "catalogue", "date"])
    inputs = workdir / "inputs"
    ws.append(["农大", str(inputs / "cau.osm.pbf"), "out/cau", str(inputs / "ledger.csv"),
               str(inputs / "comms.geojson"), None, dt.datetime(2025, 6, 30)])  # fmt: skip
    ws.append(["清华", str(inputs / "thu.osm.pbf"), "out/thu", None, None, None, "2025-07-01"])
    wb.save(tmp_path / "batch.xlsx")
    from_xlsx = load_manifest(tmp_path / "batch.xlsx")
    from_toml = load_manifest(workdir / "batch.toml")[:2]
    assert [a.name for a in from_xlsx] == ["农大", "清华"]
    assert from_xlsx[0].out == tmp_path / "out" / "cau"
    assert from_xlsx[0].osm == from_toml[0].osm
    assert from_xlsx[0].ledger == from_toml[0].ledger
    assert from_xlsx[1].ledger is None and from_xlsx[1].catalogue is None
    assert from_xlsx[0].audit_date == from_toml[0].audit_date == "2025-06-30"
    assert from_xlsx[1].audit_date == "2025-07-01" and from_toml[1].audit_date is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[area]]\nname = "a"\nout = "o"\n', "area 1 (a): field 'osm' is missing"),
        ('[[area]]\nname = "a"\nosm = "nope.pbf"\nout = "o"\n', "field 'osm': file"),
        ('[[area]]\nname = "a"\nosm = "x.pbf"\nout = "o"\nledgr = "l.csv"\n',
         "unknown field 'ledgr'"),
        ('[[area]]\nname = "a"\nosm = "x.pbf"\nout = "o"\norigins = "cars"\n', "field 'origins'"),
        (
            '[[area]]\nname = "a"\nosm = "x.pbf"\nout = "o"\n'
            '[[area]]\nname = "a"\nosm = "x.pbf"\nout = "p"\n',
            "area 2 (a): field 'name'",
        ),
        (
            '[[area]]\nname = "a"\nosm = "x.pbf"\nout = "o"\n'
            '[[area]]\nname = "b"\nosm = "x.pbf"\nout = "o"\n',
            "area 2 (b): field 'out'",
        ),
        ('[[area]]\nname = "a"\nosm = "x.pbf"\nout = "o"\ndate = "30.06.2025"\n',
         "area 1 (a): field 'date': expected a day such as 2025-12-31, got '30.06.2025'"),
        ("[area]\nname = 1\n", "array of tables"),
        ("[[area]\n", "not valid TOML"),
        ("", "no area"),
    ],
    ids=["no-osm", "osm-missing", "unknown", "origins", "dup-name", "dup-out", "date", "table",
         "toml", "empty"],
)  # fmt: skip
def test_bad_manifest_names_area_and_field(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "x.pbf").write_bytes(b"")
    (tmp_path / "m.toml").write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(message)) as err:
        load_manifest(tmp_path / "m.toml")
    assert "m.toml" in str(err.value)


@pytest.fixture(scope="module")
def faulty(scheduler: str) -> Iterator[str]:
    """The module's cluster with the fault plugin of tests/batchfaults.py in every worker."""
    from batchfaults import Faults
    from distributed import Client

    with Client(scheduler) as client:
        client.register_plugin(Faults())
    yield scheduler


def _one_area(tmp_path: Path, workdir: Path, name: str) -> list[Any]:
    (tmp_path / "m.toml").write_text(
        f'[[area]]\nname = "{name}"\nosm = "{workdir / "inputs" / "thu.osm.pbf"}"\n'
        f'out = "{name}"\n',
        encoding="utf-8",
    )
    return load_manifest(tmp_path / "m.toml")


def test_a_transient_failure_is_retried_and_the_area_succeeds(
    first: BatchRun, workdir: Path, faulty: str, tmp_path: Path
) -> None:
    from batchfaults import attempts, plant

    areas = _one_area(tmp_path, workdir, "flaky")
    plant(areas[0].out, "flaky", stage="graph")
    (outcome,) = run_batch(areas, scheduler=faulty, retries=1).outcomes
    assert (outcome.status, outcome.message) == ("done", "")
    assert attempts(areas[0].out) == 2  # failed once in stage graph, then ran through
    for name in TABLES:
        assert (areas[0].out / name).read_bytes() == (workdir / "out" / "thu" / name).read_bytes()


def test_a_permanent_failure_is_reported_after_the_retries(
    first: BatchRun, workdir: Path, faulty: str, tmp_path: Path
) -> None:
    from batchfaults import attempts, plant

    areas = _one_area(tmp_path, workdir, "disk")
    plant(areas[0].out, "broken", stage="graph")
    (outcome,) = run_batch(areas, scheduler=faulty, retries=2).outcomes
    assert attempts(areas[0].out) == 3  # the first attempt and two retries, no more
    assert (outcome.name, outcome.status, outcome.stage) == ("disk", "failed", "graph")
    assert outcome.message == f"OSError: {areas[0].osm}: input/output error (attempt 3)"
    assert not areas[0].out.exists()


def test_a_worker_killed_for_memory_fails_its_area_and_the_others_finish(
    workdir: Path, tmp_path: Path
) -> None:
    """Its own cluster (started by run_batch, 1 GiB per worker): one area needs 1.5 GiB."""
    from batchfaults import Faults, attempts, plant
    from distributed import Client

    inputs = workdir / "inputs"
    (tmp_path / "m.toml").write_text(
        "".join(
            f'[[area]]\nname = "{n}"\nosm = "{inputs / f}"\nout = "{n}"\n'
            for n, f in (("hog", "thu.osm.pbf"), ("cau", "cau.osm.pbf"))
        ),
        encoding="utf-8",
    )
    areas = load_manifest(tmp_path / "m.toml")
    plant(areas[0].out, "hog", stage="graph", nbytes=3 * 2**29)

    warm: list[bool] = []
    pace: list[dict[str, float]] = []

    def with_faults(address: str, dashboard: str | None) -> None:
        with Client(address) as client:
            client.register_plugin(Faults())
            # the workers imported the audit's stack while they started (the preload)
            warm.extend(client.run(lambda: "wanzheng.batch.warm" in sys.modules).values())
            pace.extend(client.run(_pace).values())
            pace.append(client.run_on_scheduler(_pace))

    run = run_batch(
        areas, workers=2, memory_limit="1GiB", retries=1, dashboard_address=":0",
        on_start=with_faults,
    )  # fmt: skip
    assert warm == [True, True]
    # the housekeeping of the scheduler and the workers runs at QUIET_WORKERS' slower pace
    # (the periodic callbacks in effect, in ms), not Dask's defaults (20 ms, 500 ms, 100 ms)
    assert pace == [{"tick": 1000, "monitor": 2000, "memory_monitor": 500}] * 2 + [
        {"tick": 1000, "monitor": 2000}
    ]
    got = by_name(run)
    assert got["cau"].status == "done"
    hog = got["hog"]
    assert (hog.status, hog.stage) == ("failed", "graph")
    assert hog.message.startswith("out of memory: the worker running this area went over its")
    assert "restarted by Dask 2 time(s)" in hog.message
    assert attempts(areas[0].out) == 2  # retries=1: Dask's allowed-failures, not its 3
    assert not areas[0].out.exists()


def _pace(dask_worker: Any = None, dask_scheduler: Any = None) -> dict[str, float]:
    """Intervals (ms) of a Dask server's housekeeping callbacks (``client.run`` helper)."""
    server = dask_worker if dask_worker is not None else dask_scheduler
    names = ("tick", "monitor", "memory_monitor")
    return {
        n: server.periodic_callbacks[n].callback_time
        for n in names
        if n in server.periodic_callbacks
    }


def test_bad_manifest_on_the_command_line_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text('[[area]]\nname = "a"\nout = "o"\n', encoding="utf-8")
    proc = cli("batch", "run", str(tmp_path / "m.toml"), "--serial")
    assert proc.returncode == 2
    assert "m.toml: area 1 (a): field 'osm' is missing" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("cores", "workers", "threads"), [(2, 2, 1), (2, 1, 2), (8, 2, 4), (8, 3, 2), (2, 4, 1)]
)
def test_each_worker_runs_the_engine_on_its_share_of_the_cores(
    cores: int, workers: int, threads: int
) -> None:
    from wanzheng.batch import worker_threads

    assert worker_threads(cores, workers) == threads


WARM_CHECK = """
import sys
import wanzheng.batch.warm
from wanzheng.batch import audit_area_task, load_manifest
before = set(sys.modules)
(area,) = load_manifest(__import__("pathlib").Path(sys.argv[1]))
audit_area_task(area, force=True)
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_the_workers_preload_imports_what_an_audit_imports(workdir: Path, tmp_path: Path) -> None:
    """After ``wanzheng.batch.warm`` (the local cluster's workers' preload), a first audit in a
    fresh process imports none of wanzheng's modules nor of the libraries it runs on: the
    worker's start-up paid for them, not its first area."""
    (tmp_path / "m.toml").write_text(
        f'[[area]]\nname = "cau"\nosm = "{workdir / "inputs" / "cau.osm.pbf"}"\nout = "o"\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-c", WARM_CHECK, str(tmp_path / "m.toml")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    watched = ("wanzheng", "pandas", "numpy", "scipy", "osmium", "openpyxl", "pyogrio", "shapely")
    late = [m for m in proc.stdout.split() if m.split(".")[0] in watched]
    assert late == []

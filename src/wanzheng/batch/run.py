"""Audit many areas: one task per area, serially or on a Dask cluster.

The task, :func:`audit_area_task`, is given an :class:`~wanzheng.batch.manifest.Area` (paths
and a few settings, never loaded data), runs :func:`wanzheng.pipeline.audit_to_dir` for it —
the same function ``wanzheng audit`` runs — and returns an :class:`AreaOutcome` that holds
only small values: the status, the failing stage and message, the time and peak memory, and
the area's communities with their verdicts for the batch summary.

Resume
    After a good run the task writes :data:`STATE_NAME` into the area's folder: a fingerprint
    of the inputs (SHA-256 of every input file's bytes, the catalogue's name and version, the
    settings and wanzheng's version). An area whose fingerprint is unchanged and whose outputs
    are all present is skipped unless ``force``.
Failures
    Bad input (any :class:`~wanzheng.errors.WanzhengError`) fails the area at once with its
    stage and message: retrying cannot mend a file. Anything else (an I/O error, a worker lost
    to the out-of-memory killer) is raised to Dask, which retries it ``retries`` times; what
    still fails is reported with the last stage the area reached. A worker that its nanny
    restarts for going over its memory limit fails its area as *out of memory* (from Dask's
    :data:`MEMORY_TOPIC` events) after ``retries`` more attempts (the local cluster's
    ``allowed-failures``). The other areas go on.
Memory
    Each task measures the peak resident memory of its worker process while it ran (Linux:
    the high-water mark ``VmHWM``, reset before the task; elsewhere ``ru_maxrss``, the peak of
    the process so far). Workers have one thread, so a worker holds one area at a time.
Threads
    The distance engine of a worker runs on its share of the machine's cores
    (:func:`worker_threads`: cores ÷ worker threads on that host), and the local cluster's
    workers run without Dask's statistical profiler and GIL monitor, and the whole local
    cluster's housekeeping (event-loop tick, system and memory monitors) at a slower pace
    (:data:`QUIET_WORKERS`).
Start-up
    The local cluster's workers import the audit's stack while they start
    (:data:`PRELOAD`, a Dask preload), not during their first area.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wanzheng.batch.manifest import Area
from wanzheng.errors import WanzhengError
from wanzheng.report import BATCH_STATE_NAME

__all__ = [
    "MEMORY_TOPIC",
    "PROGRESS_TOPIC",
    "QUIET_WORKERS",
    "STATE_NAME",
    "AreaFailure",
    "AreaOutcome",
    "BatchRun",
    "audit_area_task",
    "fingerprint",
    "run_batch",
    "worker_threads",
]

STATE_NAME = BATCH_STATE_NAME
"""File in an area's output folder recording the fingerprint of its last good run (the
report writer counts it as part of an output folder)."""

PROGRESS_TOPIC = "wanzheng-batch-progress"
"""Dask event topic on which tasks announce each stage they start."""

SUMMARY_FIELDS = ("id", "name", "population", "population_source", "verdict", "missing", "met")
"""Fields of the ``communities`` layer of ``audit.gpkg`` carried into the batch summary."""

Status = Literal["done", "skipped", "failed"]
StageCallback = Callable[[str, str], None]
"""``on_stage(area_name, stage)``: an area starts a stage (or ``done`` / ``skipped``)."""


@dataclass(frozen=True, slots=True)
class AreaOutcome:
    """What became of one area.

    Attributes
    ----------
    name, out
        The area and its output folder.
    status
        ``done`` (audited now), ``skipped`` (unchanged since its last good run) or ``failed``.
    stage, message
        For a failure: the stage of :data:`wanzheng.pipeline.STAGES` it failed in (or
        ``worker`` when the worker process was lost) and the error message.
    seconds
        Wall time of the task on its worker (s).
    cpu_seconds
        CPU time of the worker process during the task (s, user + system, every thread:
        the audit's and the worker's own housekeeping); unlike ``seconds``, other work on the
        machine hardly changes it.
    peak_rss_bytes
        Peak resident memory of the worker process during the task (bytes): what a worker
        must have to audit this area; ``None`` when skipped or unknown.
    start_rss_bytes
        Resident memory of the worker process when the task started (bytes): the interpreter,
        the libraries and what earlier tasks left; ``peak - start`` is the area's own share.
    communities
        The area's communities: a dict of columns (:data:`SUMMARY_FIELDS` plus ``wkb``, the
        geometry), empty for a failure.
    """

    name: str
    out: str
    status: Status
    stage: str = ""
    message: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_bytes: int | None = None
    start_rss_bytes: int | None = None
    communities: dict[str, list[Any]] = field(default_factory=dict)


class AreaFailure(Exception):
    """An area failed for a reason worth a retry (raised to Dask); names area and stage."""

    def __init__(self, area: str, stage: str, message: str) -> None:
        super().__init__(f"{area}: stage {stage}: {message}")
        self.area = area
        self.stage = stage
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (AreaFailure, (self.area, self.stage, self.message))


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(area: Area) -> dict[str, Any]:
    """What an area's audit depends on: input file hashes, catalogue version, settings.

    Raises
    ------
    WanzhengError
        The catalogue override is invalid.
    OSError
        An input file cannot be read.
    """
    from importlib.metadata import version

    from wanzheng.standards import load_catalogue

    catalogue = load_catalogue(override=area.catalogue)
    return {
        "files": {k: _file_digest(p) for k, p in sorted(area.inputs().items())},
        "catalogue": f"{catalogue.name} {catalogue.version}",
        "settings": area.settings(),
        "wanzheng": version("wanzheng"),
    }


def _up_to_date(area: Area, print_: dict[str, Any]) -> bool:
    from wanzheng.report import OUTPUT_NAMES

    state = area.out / STATE_NAME
    try:
        saved = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(saved, dict) or saved.get("fingerprint") != print_:
        return False
    return all((area.out / name).is_file() for name in OUTPUT_NAMES)


def _reset_peak() -> None:
    """Reset the process's peak resident memory (Linux ≥ 4.0: write 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _status_bytes(key: str) -> int | None:
    """A memory figure of this process from ``/proc/self/status`` (Linux), in bytes."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    return None


def _rss_bytes() -> int | None:
    """Resident memory of this process now (Linux), in bytes."""
    return _status_bytes("VmRSS")


def _peak_rss_bytes() -> int:
    """Peak resident memory of this process (since the last :func:`_reset_peak` on Linux)."""
    hwm = _status_bytes("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _summary_columns(out: Path) -> dict[str, list[Any]]:
    """The communities of an area's written audit (from ``audit.gpkg``), as plain columns."""
    import pyogrio
    import pyogrio.raw

    # GDAL would otherwise leave audit.gpkg.aux.xml (its metadata) next to the file it reads
    old = pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED")
    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})
    try:
        meta, _, geometry, values = pyogrio.raw.read(
            out / "audit.gpkg", layer="communities", columns=list(SUMMARY_FIELDS)
        )
    finally:
        pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": old})
    names = [str(n) for n in meta["fields"]]
    cols: dict[str, list[Any]] = {n: list(v.tolist()) for n, v in zip(names, values, strict=True)}
    cols["wkb"] = [bytes(g) if g is not None else None for g in geometry]
    return cols


def audit_area_task(
    area: Area,
    *,
    force: bool = False,
    on_stage: StageCallback | None = None,
    threads: int | None = None,
) -> AreaOutcome:
    """Audit one area into its folder, or skip it when unchanged; the unit of a batch.

    Parameters
    ----------
    area
        The area (paths and settings only).
    force
        Audit even when the fingerprint is unchanged.
    on_stage
        Called with the area's name and each stage it starts; inside a Dask worker with no
        callback, the stages are published on :data:`PROGRESS_TOPIC`.
    threads
        Threads of the distance engine; ``None``: the CPUs of the process (see
        :func:`worker_threads` for a worker sharing its machine).

    Returns
    -------
    AreaOutcome
        ``done`` or ``skipped``, or ``failed`` for bad input (a ``WanzhengError``).

    Raises
    ------
    AreaFailure
        Any other error (worth a retry), naming the area and the stage.
    """
    say = on_stage if on_stage is not None else _worker_publisher()
    stage = "fingerprint"

    def step(name: str) -> None:
        nonlocal stage
        stage = name
        if say is not None:
            say(area.name, name)

    started = time.perf_counter()
    cpu_started = time.process_time()
    _reset_peak()
    start_rss = _rss_bytes()
    try:
        step("fingerprint")
        print_ = fingerprint(area)
        if not force and _up_to_date(area, print_):
            step("skipped")
            return AreaOutcome(
                name=area.name,
                out=str(area.out),
                status="skipped",
                seconds=time.perf_counter() - started,
                cpu_seconds=time.process_time() - cpu_started,
                communities=_summary_columns(area.out),
            )
        from wanzheng.pipeline import audit_to_dir

        audit_to_dir(
            area.osm,
            out=area.out,
            facilities=area.ledger,
            communities=area.communities,
            standard=area.catalogue,
            facilities_crs=area.ledger_crs,
            communities_crs=area.communities_crs,
            floor_area_per_person_m2=area.floor_area_per_person_m2,
            origins=area.origins,
            audit_date=area.audit_date,
            step=step,
            threads=threads,
        )
        peak = _peak_rss_bytes()
        state = {"area": area.name, "fingerprint": print_, "peak_rss_bytes": peak}
        tmp = area.out / f"{STATE_NAME}.tmp"
        tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, area.out / STATE_NAME)
        columns = _summary_columns(area.out)
        step("done")
    except WanzhengError as exc:
        if say is not None:
            say(area.name, "failed")
        return AreaOutcome(
            name=area.name,
            out=str(area.out),
            status="failed",
            stage=stage,
            message=str(exc),
            seconds=time.perf_counter() - started,
            cpu_seconds=time.process_time() - cpu_started,
            peak_rss_bytes=_peak_rss_bytes(),
            start_rss_bytes=start_rss,
        )
    except Exception as exc:
        raise AreaFailure(area.name, stage, f"{type(exc).__name__}: {exc}") from exc
    return AreaOutcome(
        name=area.name,
        out=str(area.out),
        status="done",
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        peak_rss_bytes=peak,
        start_rss_bytes=start_rss,
        communities=columns,
    )


def _worker_publisher() -> StageCallback | None:
    """Inside a Dask worker: a callback that logs each stage as an event; else ``None``."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None

    address = str(worker.address)

    def publish(name: str, stage: str) -> None:
        worker.log_event(PROGRESS_TOPIC, {"area": name, "stage": stage, "worker": address})

    return publish


def worker_threads(cores: int, workers_on_host: int) -> int:
    """Engine threads for one batch worker: its share of the machine's cores (at least 1).

    ``workers_on_host`` areas run at once on a machine of ``cores`` CPUs (one per worker
    thread); each gets ``cores // workers_on_host`` engine threads, so that two workers on
    two cores run one thread each instead of two (four threads on two cores would make both
    wait on each other and cost more CPU in switching than they gain).
    """
    return max(1, cores // max(1, workers_on_host))


def _dask_task(area: Area, force: bool, per_host: dict[str, int]) -> AreaOutcome:
    # module-level so that workers unpickle it by reference
    from distributed import get_worker

    host = _host(str(get_worker().address))
    threads = worker_threads(_cpus(), per_host.get(host, 1))
    return audit_area_task(area, force=force, threads=threads)


def _cpus() -> int:
    """The CPUs this process may run on (its affinity mask on Linux), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _host(address: str) -> str:
    """``tcp://127.0.0.1:4321`` -> ``127.0.0.1``."""
    rest = address.split("://", 1)[-1]
    return rest.rsplit(":", 1)[0]


@dataclass(frozen=True, slots=True)
class BatchRun:
    """Every area's outcome, in manifest order, and where the batch ran."""

    outcomes: tuple[AreaOutcome, ...]
    scheduler: str
    dashboard: str | None

    @property
    def failed(self) -> tuple[AreaOutcome, ...]:
        """The areas that failed."""
        return tuple(o for o in self.outcomes if o.status == "failed")

    def largest_peak(self) -> AreaOutcome | None:
        """The area whose task needed the most memory (``None`` when none was measured)."""
        measured = [o for o in self.outcomes if o.peak_rss_bytes is not None]
        return max(measured, key=lambda o: o.peak_rss_bytes or 0) if measured else None


def run_batch(
    areas: Sequence[Area],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    force: bool = False,
    retries: int = 1,
    memory_limit: str | None = "auto",
    dashboard_address: str = ":8787",
    on_stage: StageCallback | None = None,
    on_start: Callable[[str, str | None], None] | None = None,
) -> BatchRun:
    """Audit every area: serially in this process, on a local cluster, or on ``scheduler``.

    Parameters
    ----------
    areas
        The manifest's areas.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); ``None`` starts a local
        cluster of worker processes (one thread each) for the duration of the batch.
    workers
        Worker processes of the local cluster; ``None``: one per core.
    serial
        Run every area here, one after the other, without Dask.
    force
        Rerun areas whose inputs have not changed.
    retries
        Extra attempts Dask makes at an area that failed for another reason than bad input.
    memory_limit
        Memory limit per worker of the local cluster (``"4GiB"``, ``"auto"``); a worker over
        it is restarted and its area retried, then reported failed.
    dashboard_address
        Where the local cluster's dashboard listens (``":0"``: any free port).
    on_stage
        ``on_stage(area, stage)`` as areas progress (from the workers' events).
    on_start
        ``on_start(scheduler_address, dashboard_link)`` once the cluster is ready.

    Returns
    -------
    BatchRun
        The outcome of every area, failures included (a failure never stops the others).
    """
    if serial:
        if on_start is not None:
            on_start("serial", None)
        outcomes = []
        for area in areas:
            try:
                outcomes.append(audit_area_task(area, force=force, on_stage=on_stage))
            except AreaFailure as exc:
                outcomes.append(_failed(area, exc.stage, exc.message))
        return BatchRun(outcomes=tuple(outcomes), scheduler="serial", dashboard=None)
    with _client(
        scheduler,
        workers=workers,
        memory_limit=memory_limit,
        dashboard=dashboard_address,
        retries=retries,
    ) as client:
        dashboard = _dashboard(client)
        address = str(client.scheduler.address)
        if on_start is not None:
            on_start(address, dashboard)
        seen = _Seen()

        def on_event(event: tuple[float, dict[str, str]]) -> None:
            _, msg = event
            seen.stage[msg["area"]] = msg["stage"]
            if msg.get("worker"):
                seen.workers.setdefault(msg["area"], set()).add(msg["worker"])
            if on_stage is not None:
                on_stage(msg["area"], msg["stage"])

        client.subscribe_topic(PROGRESS_TOPIC, on_event)
        try:
            outcomes = _gather(client, areas, force=force, retries=retries, seen=seen)
        finally:
            client.unsubscribe_topic(PROGRESS_TOPIC)
    return BatchRun(outcomes=tuple(outcomes), scheduler=address, dashboard=dashboard)


@dataclass
class _Seen:
    """What the progress events said: each area's last stage and the workers that ran it."""

    stage: dict[str, str] = field(default_factory=dict)
    workers: dict[str, set[str]] = field(default_factory=dict)


MEMORY_TOPIC = "worker-restart-memory"
"""Dask's event topic on which a nanny reports restarting its worker for memory."""


def _gather(
    client: Any, areas: Sequence[Area], *, force: bool, retries: int, seen: _Seen
) -> list[AreaOutcome]:
    from distributed import as_completed

    per_host: dict[str, int] = {}
    for info in client.scheduler_info(n_workers=-1)["workers"].values():
        host = _host(str(info.get("host") or info.get("id") or ""))
        per_host[host] = per_host.get(host, 0) + int(info.get("nthreads") or 1)
    futures = {
        client.submit(
            _dask_task,
            area,
            force,
            per_host,
            key=f"wanzheng-audit-{i}-{area.name}",
            retries=retries,
        ): area
        for i, area in enumerate(areas)
    }
    got: dict[str, AreaOutcome] = {}
    for future in as_completed(list(futures)):
        area = futures[future]
        try:
            got[area.name] = future.result()
        except AreaFailure as exc:
            got[area.name] = _failed(area, exc.stage, exc.message)
        except Exception as exc:  # the worker died (KilledWorker) or the task could not run
            stage = seen.stage.get(area.name, "worker")
            message = _out_of_memory(client, seen.workers.get(area.name, set()), exc)
            got[area.name] = _failed(area, stage, message or f"{type(exc).__name__}: {exc}")
    return [got[a.name] for a in areas]


def _out_of_memory(client: Any, workers: set[str], exc: Exception) -> str | None:
    """Why the workers that ran an area died, when their nanny restarted them for memory."""
    last = getattr(exc, "last_worker", None)
    addresses = set(workers)
    if last is not None:
        addresses.add(str(getattr(last, "address", last)))
    try:
        events = client.get_events(MEMORY_TOPIC)
    except Exception:  # an old scheduler without the topic: say what Dask said
        return None
    rss = [int(msg.get("rss") or 0) for _, msg in events if msg.get("worker") in addresses]
    if not rss:
        return None
    return (
        f"out of memory: the worker running this area went over its memory limit "
        f"({max(rss) / 2**30:.2f} GiB resident) and was restarted by Dask "
        f"{len(rss)} time(s); give workers more memory (--memory-limit) or run the area alone"
    )


def _failed(area: Area, stage: str, message: str) -> AreaOutcome:
    return AreaOutcome(
        name=area.name, out=str(area.out), status="failed", stage=stage, message=message
    )


QUIET_WORKERS: dict[str, Any] = {
    # the statistical profiler samples every thread's stack 100 times a second and the GIL
    # monitor polls every millisecond: both take the GIL from the audit (docs/batch.md)
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    # the housekeeping of an idle 2-worker cluster cost 55 ms of CPU a second in the scheduler's
    # process and 22 ms in each worker (10 % of a core); with these three 10 ms and 3 ms:
    # the event-loop "tick" (a diagnostic: it only warns of a blocked loop) 50 times a second,
    "distributed.admin.tick.interval": "1s",
    # the dashboard's system monitor (CPU, memory, network, disk counters) twice a second,
    "distributed.admin.system-monitor.interval": "2s",
    # the memory monitor of every worker and nanny 10 times a second; twice a second still
    # stops a worker that runs over its memory limit (tests/batch)
    "distributed.worker.memory.monitor-interval": "500ms",
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's
    # mmap threshold at 128 KiB: every larger array is mapped and unmapped afresh, twice the
    # page faults and +0.25 s of system CPU per 136k-node area; None leaves glibc's default,
    # as in the serial run and `wanzheng audit` (a worker keeps freed memory for its next area)
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}
"""Dask settings of the local cluster (scheduler, nannies, workers): no profiler, no GIL
monitor, housekeeping at a slower pace, glibc's own malloc trimming (docs/batch.md,
*Threads*)."""


PRELOAD: tuple[str, ...] = ("wanzheng.batch.warm",)
"""The local cluster's workers' preload modules (:mod:`wanzheng.batch.warm`)."""


@contextlib.contextmanager
def _client(
    scheduler: str | None,
    *,
    workers: int | None,
    memory_limit: str | None,
    dashboard: str,
    retries: int,
) -> Iterator[Any]:
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    # a task whose worker dies (out of memory) is tried again `retries` times, not Dask's 3
    config = {**QUIET_WORKERS, "distributed.scheduler.allowed-failures": retries}
    with (
        dask.config.set(config),
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=dashboard,
            # each worker imports the audit's stack while it starts, not in its first area
            preload=list(PRELOAD),
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _dashboard(client: Any) -> str | None:
    try:
        link = client.dashboard_link
    except Exception:  # no dashboard (bokeh missing on the scheduler)
        return None
    return str(link) if link else None

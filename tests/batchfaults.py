"""Faults injected into the Dask workers of the batch tests, at one stage of one area.

:class:`Faults` is a Dask worker plugin: in every worker process (restarted ones included) it
wraps :func:`wanzheng.pipeline.audit_to_dir` so that an area whose output folder has a sibling
``<out>.fault`` file (JSON) meets that fault when it starts the named stage:

``{"kind": "flaky", "stage": "graph"}``
    ``OSError`` on the first attempt only (a file server that hiccups), then runs normally.
``{"kind": "broken", "stage": "graph"}``
    ``OSError`` on every attempt (a disk that stays unreadable).
``{"kind": "hog", "stage": "graph", "bytes": N}``
    Allocates and touches N bytes and waits: the worker's nanny kills it for memory.

Each attempt appends a line to ``<out>.attempts``, so that a test counts them. Areas without
a ``.fault`` file run the real audit unchanged. The failure itself is injected; what the
batch makes of it (Dask's retries, the nanny's memory limit, the report) is all real.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["Faults", "plant"]


def plant(out: Path, kind: str, *, stage: str = "graph", nbytes: int = 0) -> Path:
    """Write the ``.fault`` file of the area whose output folder is ``out``."""
    spec = Path(f"{out}.fault")
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps({"kind": kind, "stage": stage, "bytes": nbytes}), "utf-8")
    return spec


def attempts(out: Path) -> int:
    """How many times the area whose output folder is ``out`` met its fault's stage."""
    log = Path(f"{out}.attempts")
    return len(log.read_text("utf-8").splitlines()) if log.exists() else 0


class Faults(WorkerPlugin):
    """Wraps ``audit_to_dir`` in the worker (see the module docstring)."""

    name = "wanzheng-test-faults"

    def setup(self, worker: Any) -> None:
        import wanzheng.pipeline as pipeline

        real = getattr(pipeline, "_unfaulted_audit_to_dir", pipeline.audit_to_dir)
        pipeline._unfaulted_audit_to_dir = real  # type: ignore[attr-defined]

        def audit_to_dir(area: Path, *, out: Path, step: Any = None, **kw: Any) -> Any:
            spec_file = Path(f"{out}.fault")
            if not spec_file.exists():
                return real(area, out=out, step=step, **kw)
            spec = json.loads(spec_file.read_text("utf-8"))

            def faulty_step(name: str) -> None:
                if step is not None:
                    step(name)
                if name != spec["stage"]:
                    return
                log = Path(f"{out}.attempts")
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(f"{spec['kind']}\n")
                n = attempts(out)
                if spec["kind"] == "flaky" and n == 1:
                    raise OSError(f"{area}: stale file handle (attempt {n})")
                if spec["kind"] == "broken":
                    raise OSError(f"{area}: input/output error (attempt {n})")
                if spec["kind"] == "hog":
                    import numpy as np

                    block = np.ones(int(spec["bytes"]) // 8)  # touched: resident
                    time.sleep(120)  # the nanny kills the process long before
                    del block

            return real(area, out=out, step=faulty_step, **kw)

        pipeline.audit_to_dir = audit_to_dir  # type: ignore[assignment]

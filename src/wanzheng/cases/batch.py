"""Group commit: many small write transactions share one commit (one fsync).

A durable commit costs one fsync of the write-ahead log, so one transaction per submission
caps a single database at a few hundred submissions per second. :class:`GroupCommitter` runs
jobs on one writer thread: it takes every job waiting in its queue, runs them in one
transaction, commits once, and only then answers the jobs. A caller therefore still hears
"done" only after its data is on disk; under load the batches grow by themselves (requests
queue while the previous batch is being committed), with no artificial waiting when the
service is idle.

Two kinds of job:

- ``submit(fn)``: ``fn(session)`` on its own; answered through a
  :class:`concurrent.futures.Future`.
- ``submit_bulk(op, item)`` (from an asyncio event loop): every waiting item of one
  :class:`BulkOp` is handed to ``op.run_many`` at once, so that a batch of submissions is
  inserted with one statement per table; answered through an :class:`asyncio.Future`, all
  the futures of one loop settled by one callback after the commit.

Failures stay with their job. A single job (``submit``) runs in a savepoint of the batch's
transaction, so its own error rolls back only its work. ``run_many`` answers an exception for
an item that fails on its own (validation) without touching the transaction. Should
``run_many`` raise instead (a constraint failed), the whole transaction is rolled back and the
batch is run again with one savepoint per job, bulk items through ``op.run_one``: a failing
job then rolls back only its savepoint and gets its own exception (nothing had been committed,
so running a job twice is harmless). Should the commit fail, every job of the batch gets that
error: nobody's data is stored.

Several processes on one SQLite file (``wanzheng serve --workers N``): each has its own
writer thread; a ``writer_lock`` (:class:`FileLock`) makes them take turns without SQLite's
sleeping busy handler, so a waiting writer starts the moment the other one commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

__all__ = ["BulkOp", "FileLock", "GroupCommitter"]

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")
P_contra = TypeVar("P_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class BulkOp(Protocol[P_contra, R_co]):
    """Work on many items of one kind in one transaction (e.g. intake of submissions)."""

    def run_many(self, session: Session, items: Sequence[P_contra]) -> Sequence[Any]:
        """One answer per item, in order: its result, or the exception it failed with alone.

        Raise (instead of answering an exception) when the transaction itself may be
        spoiled, e.g. a constraint failed: the batch is then re-run item by item.
        """
        ...

    def run_one(self, session: Session, item: P_contra) -> R_co:
        """The same work for one item (inside a savepoint of the re-run)."""
        ...


class FileLock:
    """An exclusive ``flock`` on a file, shared by the writers of several processes.

    Parameters
    ----------
    path
        The lock file (created when missing; its content is never used).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block (blocks while another holder has it)."""
        with self._guard:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file (the lock is free already outside ``with``)."""
        with self._guard:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


@dataclass(slots=True)
class _Job(Generic[T]):
    fn: Callable[[Session], T] | None
    future: Future[T] | asyncio.Future[T]
    op: BulkOp[Any, T] | None = None
    item: Any = None
    loop: asyncio.AbstractEventLoop | None = None


_Outcome = tuple[_Job[Any], Any, BaseException | None]


class GroupCommitter:
    """One writer thread committing queued jobs in batches of up to ``max_batch``.

    Parameters
    ----------
    sessions
        Session factory of the database.
    max_batch
        Most jobs per transaction.
    writer_lock
        Held around each batch's transaction (:class:`FileLock` for several processes on
        one SQLite file); default none.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_batch: int = 256,
        writer_lock: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._writer_lock = writer_lock or nullcontext
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.jobs = 0

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="wanzheng-group-commit", daemon=True
                )
                self._thread.start()

    @property
    def pending(self) -> int:
        """Jobs queued and not yet taken by the writer (approximate: the queue moves)."""
        return self._queue.qsize()

    def submit(self, fn: Callable[[Session], T]) -> Future[T]:
        """Queue ``fn(session)``; the future resolves after the batch's commit."""
        self._ensure_thread()
        fut: Future[T] = Future()
        self._queue.put(_Job(fn, fut))
        return fut

    def submit_bulk(self, op: BulkOp[P, R], item: P) -> asyncio.Future[R]:
        """Queue ``item`` for ``op`` (call from a running event loop); the future resolves
        in that loop after the batch's commit."""
        self._ensure_thread()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._queue.put(_Job(None, fut, op, item, loop))
        return fut

    def run(self, fn: Callable[[Session], T]) -> T:
        """Queue ``fn`` and wait for its committed result (from a worker thread)."""
        return self.submit(fn).result()

    def close(self) -> None:
        """Finish queued jobs and stop the writer thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            stop = False
            while len(jobs) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            self._run_batch(jobs)
            if stop:
                return

    def _run_batch(self, jobs: list[_Job[Any]]) -> None:
        live = [
            job
            for job in jobs
            if job.loop is not None
            or (isinstance(job.future, Future) and job.future.set_running_or_notify_cancel())
        ]
        try:
            with self._writer_lock():
                # Fast path: no savepoints, bulk items together. Should anything raise, the
                # transaction is rolled back and the batch run again with one savepoint each.
                try:
                    done = self._attempt(live, savepoints=False)
                except _JobFailed:
                    done = self._attempt(live, savepoints=True)
        except Exception as exc:  # the commit failed: nobody's data is stored
            done = [(job, None, exc) for job in live]
        else:
            self.batches += 1
            self.jobs += len(done)
        _settle(done)

    def _attempt(self, jobs: list[_Job[Any]], *, savepoints: bool) -> list[_Outcome]:
        done: list[_Outcome] = []
        with self._sessions() as session:
            if savepoints:
                for job in jobs:
                    try:
                        with session.begin_nested():
                            if job.fn is not None:
                                result = job.fn(session)
                            else:
                                assert job.op is not None  # a bulk job has its op
                                result = job.op.run_one(session, job.item)
                        done.append((job, result, None))
                    except Exception as exc:  # the job's own error, handed to its caller
                        done.append((job, None, exc))
            else:
                groups: dict[int, list[_Job[Any]]] = {}
                try:
                    for job in jobs:
                        if job.fn is None:
                            groups.setdefault(id(job.op), []).append(job)
                            continue
                        # Each single job in a savepoint: its own failure (a refused
                        # transition, a conflict) rolls back only its work, and the rest of
                        # the batch commits without being re-run.
                        try:
                            with session.begin_nested():
                                result = job.fn(session)
                        except Exception as exc:  # the job's own error, handed to its caller
                            done.append((job, None, exc))
                        else:
                            done.append((job, result, None))
                    for group in groups.values():
                        op = group[0].op
                        assert op is not None  # grouped by op
                        answers = op.run_many(session, [job.item for job in group])
                        for job, answer in zip(group, answers, strict=True):
                            if isinstance(answer, BaseException):
                                done.append((job, None, answer))
                            else:
                                done.append((job, answer, None))
                except Exception as exc:
                    session.rollback()
                    raise _JobFailed from exc
            session.commit()
        return done


def _settle(done: list[_Outcome]) -> None:
    """Answer every job; asyncio futures through one callback per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in done:
        job = outcome[0]
        if job.loop is not None:
            by_loop.setdefault(job.loop, []).append(outcome)
            continue
        assert isinstance(job.future, Future)  # jobs without a loop have a thread future
        if outcome[2] is None:
            job.future.set_result(outcome[1])
        else:
            job.future.set_exception(outcome[2])
    for loop, outcomes in by_loop.items():
        # a closed loop (RuntimeError) has nobody waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_in_loop, outcomes)


def _settle_in_loop(outcomes: list[_Outcome]) -> None:
    for job, result, error in outcomes:
        fut = job.future
        assert isinstance(fut, asyncio.Future)  # set by submit_bulk
        if fut.done():  # cancelled: the caller went away
            continue
        if error is None:
            fut.set_result(result)
        else:
            fut.set_exception(error)


class _JobFailed(Exception):
    """A job raised on the fast path; the batch is re-run with savepoints."""

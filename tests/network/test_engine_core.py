"""The engine's compiled core: it is machine code from the build, and its kernels agree."""

from __future__ import annotations

import importlib.machinery

import numpy as np
import pytest

from wanzheng.network import _engine_core as core


def test_core_is_a_compiled_extension() -> None:
    # a pure-Python stand-in would be 50-100x slower; the build must have compiled the .pyx
    assert core.__file__ is not None
    assert core.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _path_graph() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # 0 -(1.5)- 1 -(2.25)- 2 -(0)- 3 -(4)- 4, both directions
    edges = [(0, 1, 1.5), (1, 2, 2.25), (2, 3, 0.0), (3, 4, 4.0)]
    adj: list[list[tuple[int, float]]] = [[] for _ in range(5)]
    for u, v, w in edges:
        adj[u].append((v, w))
        adj[v].append((u, w))
    indptr = np.cumsum([0] + [len(a) for a in adj]).astype(np.int64)
    indices = np.array([v for a in adj for v, _ in a], dtype=np.uint32)
    weight = np.array([w for a in adj for _, w in a], dtype=np.float64)
    return indptr, indices, weight


@pytest.mark.parametrize("kernel", ["bucket", "heap"])
def test_kernels_on_a_hand_checked_path(kernel: str) -> None:
    indptr, indices, weight = _path_graph()
    dist = np.full(5, np.inf)
    src = np.full(5, -1, dtype=np.int32)
    dist[0], src[0] = 0.5, 7  # source 7 sits 0.5 m off node 0
    seeds = np.array([0], dtype=np.uint32)
    if kernel == "bucket":
        head = np.full(8, -1, dtype=np.int32)
        pool = np.empty(16, dtype=np.uint32), np.empty(16, dtype=np.int32)
        assert core.bucket_search(indptr, indices, weight, dist, src, seeds, 6.0, 1.0, head, *pool)
    else:
        core.heap_search(indptr, indices, weight, dist, src, seeds, 6.0)
    # 0.5, 2.0, 4.25, 4.25 (zero-length edge), 8.25 is beyond the 6 m cutoff
    assert dist.tolist() == [0.5, 2.0, 4.25, 4.25, np.inf]
    assert src.tolist() == [7, 7, 7, 7, -1]


def test_bucket_search_reports_a_pool_that_is_too_small() -> None:
    indptr, indices, weight = _path_graph()
    dist = np.full(5, np.inf)
    src = np.full(5, -1, dtype=np.int32)
    dist[0], src[0] = 0.0, 0
    head = np.full(8, -1, dtype=np.int32)
    pool = np.empty(1, dtype=np.uint32), np.empty(1, dtype=np.int32)
    seeds = np.array([0], dtype=np.uint32)
    # the seed's entry is freed before node 1 needs one, so one entry suffices on a path…
    assert core.bucket_search(indptr, indices, weight, dist, src, seeds, 6.0, 1.0, head, *pool)
    # …but not when two seeds wait at once
    dist[:] = np.inf
    src[:] = -1
    dist[[0, 4]], src[[0, 4]] = 0.0, [0, 1]
    head[:] = -1
    seeds = np.array([0, 4], dtype=np.uint32)
    assert not core.bucket_search(indptr, indices, weight, dist, src, seeds, 6.0, 1.0, head, *pool)


def test_mismatched_pool_is_refused() -> None:
    indptr, indices, weight = _path_graph()
    with pytest.raises(ValueError, match="one length"):
        core.bucket_search(
            indptr, indices, weight, np.full(5, np.inf), np.full(5, -1, dtype=np.int32),
            np.array([0], dtype=np.uint32), 6.0, 1.0, np.full(8, -1, dtype=np.int32),
            np.empty(4, dtype=np.uint32), np.empty(3, dtype=np.int32),
        )  # fmt: skip

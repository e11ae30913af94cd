"""``pairs_within``: every (source, target) pair within a cutoff, against scipy's Dijkstra."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from wanzheng.errors import DataError
from wanzheng.network.engine import pairs_within


def weighted_grid(side: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    w = rng.uniform(0.0, 60.0, u.shape[0]).round(3)
    w[rng.random(u.shape[0]) < 0.05] = 0.0
    n = side * side
    return sp.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()


def test_a_line_by_hand() -> None:
    # 0 —100— 1 —100— 2; source at node 0 with a 10 m leg; targets on 1 (leg 5) and 2 (leg 0)
    ip, ix, w = [0, 1, 3, 4], [1, 0, 2, 1], [100.0, 100.0, 100.0, 100.0]
    s, t, d = pairs_within(ip, ix, w, [0], [10.0], [1, 2, 1], [5.0, 0.0, 95.0], cutoff_m=205.0)
    assert list(zip(s.tolist(), t.tolist(), d.tolist(), strict=True)) == [
        (0, 0, 115.0),
        (0, 2, 205.0),
    ]  # inclusive
    s, t, d = pairs_within(ip, ix, w, [0], [10.0], [1, 2, 1], [5.0, 0.0, 95.0], cutoff_m=210.0)
    assert list(zip(s.tolist(), t.tolist(), d.tolist(), strict=True)) == [
        (0, 0, 115.0),
        (0, 1, 210.0),
        (0, 2, 205.0),
    ]


@pytest.mark.parametrize("threads", [1, 2])
def test_agrees_with_scipy_on_a_random_grid(threads: int) -> None:
    rng = np.random.default_rng(11)
    g = weighted_grid(50, 5)
    n = g.shape[0]
    src = rng.integers(0, n, 120)
    src_leg = rng.uniform(0, 30, 120).round(2)
    tgt = rng.integers(0, n, 600)
    tgt_leg = rng.uniform(0, 30, 600).round(2)
    s, t, d = pairs_within(
        g.indptr, g.indices, g.data, src, src_leg, tgt, tgt_leg, cutoff_m=250.0, threads=threads
    )
    full = src_leg[:, None] + dijkstra(g, indices=src)[:, tgt] + tgt_leg[None, :]
    ii, jj = np.nonzero(full <= 250.0)
    assert s.tolist() == ii.tolist() and t.tolist() == jj.tolist()  # sorted by source, target
    np.testing.assert_allclose(d, full[ii, jj], rtol=0, atol=1e-9)
    assert (d <= 250.0).all()


def test_empty_inputs_and_bad_input() -> None:
    ip, ix, w = [0, 1, 2], [1, 0], [5.0, 5.0]
    s, t, d = pairs_within(ip, ix, w, [], [], [1], [0.0], cutoff_m=10.0)
    assert s.shape == t.shape == d.shape == (0,)
    with pytest.raises(DataError, match="finite"):
        pairs_within(ip, ix, w, [0], [0.0], [1], [0.0], cutoff_m=float("inf"))
    with pytest.raises(DataError, match=r"source_offset_m\[0\]"):
        pairs_within(ip, ix, w, [0], [-1.0], [1], [0.0], cutoff_m=10.0)
    with pytest.raises(DataError, match=r"source_node\[0\]"):
        pairs_within(ip, ix, w, [7], [0.0], [1], [0.0], cutoff_m=10.0)

"""Small hand-checkable grids for the network tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyproj
import pytest

from wanzheng.network.graph import WalkGraph, graph_from_arrays

LON_0, LAT_0 = 116.35, 40.0


class GridProjection:
    """Transverse Mercator centred on (116.35, 40.0): the grid's metres are exact."""

    def __init__(self) -> None:
        crs = pyproj.CRS.from_proj4(
            f"+proj=tmerc +lat_0={LAT_0} +lon_0={LON_0} +k=1 +ellps=WGS84 +units=m +no_defs"
        )
        self._t = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def forward(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        x, y = self._t.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def inverse(
        self, x: npt.ArrayLike, y: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        lon, lat = self._t.transform(
            np.asarray(x, float), np.asarray(y, float), direction="INVERSE"
        )
        return np.asarray(lon, float), np.asarray(lat, float)


def make_grid(
    nx_: int = 4,
    ny: int = 4,
    spacing_m: float = 100.0,
    extra: list[tuple[float, ...]] | None = None,
) -> WalkGraph:
    """A grid of ``nx_`` × ``ny`` nodes, node ``j * nx_ + i`` at (i·spacing, j·spacing) metres.

    ``extra`` adds separate segments ``(x0, y0, x1, y1)`` (new nodes, e.g. an isolated piece).
    Edge lengths are the exact planar lengths, so every answer can be checked by hand.
    """
    xs, ys = np.meshgrid(np.arange(nx_) * spacing_m, np.arange(ny) * spacing_m)
    x = xs.ravel()
    y = ys.ravel()
    idx = np.arange(nx_ * ny).reshape(ny, nx_)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    for x0, y0, x1, y1 in extra or []:
        n = x.size
        x = np.append(x, [x0, x1])
        y = np.append(y, [y0, y1])
        u = np.append(u, n)
        v = np.append(v, n + 1)
    proj = GridProjection()
    lon, lat = proj.inverse(x, y)
    length = np.hypot(x[v] - x[u], y[v] - y[u])
    return graph_from_arrays(
        lon,
        lat,
        u,
        v,
        edge_length_m=length,
        edge_highway=np.full(u.size, "footway"),
        projection=proj,
        source="grid",
    )


@pytest.fixture
def grid() -> Callable[..., WalkGraph]:
    """Factory of hand-checkable grids (see :func:`make_grid`)."""
    return make_grid


@pytest.fixture
def to_lonlat() -> Callable[
    [npt.ArrayLike, npt.ArrayLike], tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
]:
    """Grid metres → WGS-84 degrees."""
    return GridProjection().inverse

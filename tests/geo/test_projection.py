"""The local transverse Mercator against pyproj's geodesic distances."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from wanzheng.errors import DataError
from wanzheng.geo import local_projection

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize(("lon0", "lat0"), [(116.35, 40.0), (113.57, 22.27), (126.6, 45.75)])
def test_distances_match_geodesics(lon0: float, lat0: float) -> None:
    rng = np.random.default_rng(1)
    # points within about ±4 km of the centre
    lon = lon0 + rng.uniform(-0.045, 0.045, 400)
    lat = lat0 + rng.uniform(-0.035, 0.035, 400)
    proj = local_projection(lon, lat)
    x, y = proj.forward(lon, lat)
    i, j = rng.integers(0, 400, 2000), rng.integers(0, 400, 2000)
    keep = i != j
    i, j = i[keep], j[keep]
    planar = np.hypot(x[i] - x[j], y[i] - y[j])
    geodesic = np.asarray(GEOD.inv(lon[i], lat[i], lon[j], lat[j])[2])
    rel = np.abs(planar - geodesic) / geodesic
    assert rel.max() < 1e-3  # the brief's 0.1 %
    assert rel.max() < 1e-5  # what a centred transverse Mercator actually gives


def test_centre_and_inverse() -> None:
    proj = local_projection([116.30, 116.40], [39.90, 40.00])
    assert (proj.lon0, proj.lat0) == pytest.approx((116.35, 39.95))
    x, y = proj.forward(116.35, 39.95)
    assert float(x) == pytest.approx(0.0, abs=1e-6) and float(y) == pytest.approx(0.0, abs=1e-6)
    # 0.01 degree of latitude is about 1,111 m
    _, y1 = proj.forward(116.35, 39.96)
    assert float(y1) == pytest.approx(1110.9, abs=1.0)
    lon, lat = proj.inverse(*proj.forward([116.31, 116.39], [39.91, 39.99]))
    np.testing.assert_allclose(lon, [116.31, 116.39], atol=1e-10)
    np.testing.assert_allclose(lat, [39.91, 39.99], atol=1e-10)


def test_ignores_nan_and_refuses_empty() -> None:
    proj = local_projection([116.3, np.nan], [39.9, np.nan])
    assert proj.lon0 == pytest.approx(116.3)
    with pytest.raises(DataError, match="no finite coordinates"):
        local_projection([np.nan], [np.nan])
    with pytest.raises(DataError, match="outside"):
        local_projection([200.0], [39.9])

"""Fixtures of the consultation tests: one audit of the CAU extract (tests/data), the office's
candidate sites for a missing canteen of 石科院生活区, and a resident list of our own."""

from __future__ import annotations

from pathlib import Path

import pytest
from consultdata import RESIDENTS

from wanzheng.data.audit_output import AuditOutput, load_audit_output


@pytest.fixture(scope="session")
def consult_audit(cau_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> AuditOutput:
    """The audit's output folder of the CAU extract, read back."""
    from wanzheng.pipeline import audit_to_dir

    out = tmp_path_factory.mktemp("consult") / "audit"
    audit_to_dir(cau_pbf, out=out)
    return load_audit_output(out)


@pytest.fixture(scope="session")
def candidates_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The office's sites for a canteen: two near 石科院生活区 (costs 120 and 80), one at
    学士居 1 km away (cost 10, reaches no resident of 石科院生活区)."""
    path = tmp_path_factory.mktemp("consult-candidates") / "sites.csv"
    path.write_text(
        "编号,名称,经度,纬度,可承载类型,费用,坐标系\n"
        "S1,石科院北门,116.3524400,39.9980270,社区食堂（助餐点）,120,wgs84\n"
        "S2,学院路西侧底商,116.3506406,39.9979764,社区食堂（助餐点）,80,wgs84\n"
        "S3,学士居会所,116.3595470,40.0096070,社区食堂（助餐点）,10,wgs84\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def electors_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The office's resident list (ID numbers, phones, communities)."""
    path = tmp_path_factory.mktemp("consult-electors") / "residents.csv"
    lines = ["身份证号,手机号,社区编号"] + [
        f"{r.identifier},{r.phone},{r.community}" for r in RESIDENTS
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

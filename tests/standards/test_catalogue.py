"""The facility catalogue: contents of the built-in file, validation errors, overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wanzheng.errors import ConfigError
from wanzheng.standards import TIERS, FacilityKind, load_catalogue, parse_distance_m

AUDITED = {
    "service_station",
    "kindergarten",
    "nursery",
    "elderly_station",
    "health_station",
    "canteen",
    "convenience_store",
    "activity_site",
    "green",
    "parcel",
    "waste_point",
    "supermarket",
    "vegetable_market",
    "barber",
    "laundry",
    "pharmacy",
    "primary_school",
    "bus_stop",
    "sports_ground",
    "junior_high",
    "community_hospital",
    "nursing_home",
    "culture_centre",
}


def _write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = """
[catalogue]
name = "test"
version = "1"
walk_speed_m_per_min = 60
"""

KIND = """
[[kind]]
key = "{key}"
name_zh = "测试"
name_en = "Test"
tier = "5min"
{threshold}
requirement = "r"
source = "s"
clause = "c"
verified = true
"""


def _one_kind(tmp_path: Path, threshold: str, key: str = "k") -> Path:
    return _write(tmp_path, HEADER + KIND.format(key=key, threshold=threshold))


def test_builtin_catalogue_has_every_audited_kind_with_source() -> None:
    cat = load_catalogue()
    assert cat.origin == "builtin"
    assert cat.version == "2026.1"
    assert {k.key for k in cat.audited} == AUDITED
    assert len(cat.audited) >= 15
    for kind in cat.kinds:
        assert kind.tier in TIERS
        assert kind.source.strip() and kind.clause.strip() and kind.requirement.strip()
        assert kind.name_zh and kind.name_en


def test_builtin_thresholds_follow_the_standard() -> None:
    cat = load_catalogue()
    assert cat.kind("kindergarten").threshold_m == 300.0
    assert cat.kind("vegetable_market").threshold_m == 500.0
    assert cat.kind("primary_school").threshold_m == 500.0
    assert cat.kind("junior_high").threshold_m == 1000.0
    assert cat.kind("utilities").threshold_m is None
    assert not cat.kind("utilities").audited
    assert cat.max_threshold_m == 1000.0
    # 60 m/min: 300 m is exactly the 5-minute tier.
    assert cat.walk_speed_m_per_min == 60.0
    assert cat.walk_min(300.0) == pytest.approx(5.0)
    for kind in cat.audited:
        limit = {"5min": 300.0, "10min": 500.0, "15min": 1000.0, "block": 300.0}[kind.tier]
        assert kind.threshold_m is not None and kind.threshold_m <= limit, kind.key


def test_items_1_to_15_of_the_standard_are_all_present() -> None:
    cat = load_catalogue()
    clauses = " ".join(k.clause for k in cat.kinds)
    for item in range(1, 16):
        assert f"Item {item} " in clauses, item


def test_kinds_are_frozen() -> None:
    kind = load_catalogue().kind("nursery")
    assert isinstance(kind, FacilityKind)
    with pytest.raises(dataclasses.FrozenInstanceError):
        kind.threshold_m = 1.0  # type: ignore[misc]


def test_unknown_kind_lookup() -> None:
    with pytest.raises(ConfigError, match="no kind 'cinema'"):
        load_catalogue().kind("cinema")


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        (300, 300.0),
        (0.5, 0.5),
        ("300 m", 300.0),
        ("0.3 km", 300.0),
        ("300米", 300.0),
        ("1公里", 1000.0),
        ("2 KM", 2000.0),
    ],
)
def test_distance_units(value: object, metres: float) -> None:
    assert parse_distance_m(value, where="x") == pytest.approx(metres)


def test_threshold_with_unit_in_a_file(tmp_path: Path) -> None:
    cat = load_catalogue(_one_kind(tmp_path, 'threshold = "0.3 km"'))
    assert cat.kind("k").threshold_m == pytest.approx(300.0)
    assert cat.origin == str(tmp_path / "c.toml")


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("threshold_m = -300", r"kind 'k': field 'threshold_m': expected a non-negative distance"),
        ('threshold_m = "abc"', r"kind 'k': field 'threshold_m': expected a number of metres"),
        ('threshold = "300 ft"', r"kind 'k': field 'threshold': unknown unit 'ft'"),
        ('threshold = "5 min"', r"unknown unit 'min'"),
        ('threshold = "lots"', r"field 'threshold': expected a distance"),
        ("threshold_m = true", r"expected a distance in metres, got True"),
        ("threshold_m = nan", r"non-negative distance"),
        ('threshold_m = 300\nthreshold = "300 m"', r"either 'threshold_m' or 'threshold'"),
        ("colour = 'red'", r"kind 'k': unknown field\(s\) \['colour'\]"),
    ],
)
def test_bad_thresholds_and_fields(tmp_path: Path, threshold: str, message: str) -> None:
    path = _one_kind(tmp_path, threshold)
    with pytest.raises(ConfigError, match=message) as info:
        load_catalogue(path)
    assert str(path) in str(info.value)


def test_unknown_tier(tmp_path: Path) -> None:
    path = _write(tmp_path, (HEADER + KIND).format(key="k", threshold="").replace("5min", "7min"))
    with pytest.raises(ConfigError, match=r"kind 'k': field 'tier': unknown tier '7min'"):
        load_catalogue(path)


def test_duplicate_key(tmp_path: Path) -> None:
    one = KIND.format(key="k", threshold="threshold_m = 100")
    with pytest.raises(ConfigError, match="duplicate key 'k'"):
        load_catalogue(_write(tmp_path, HEADER + one + one))


def test_missing_threshold_and_checklist_items(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kind 'k': missing field 'threshold_m'.*\"none\""):
        load_catalogue(_one_kind(tmp_path, ""))
    cat = load_catalogue(_one_kind(tmp_path, 'threshold = "None"'))
    assert cat.kind("k").threshold_m is None
    assert cat.audited == () and cat.max_threshold_m == 0.0
    with pytest.raises(ConfigError, match="expected a number of metres"):
        load_catalogue(_one_kind(tmp_path, 'threshold_m = "none"'))
    with pytest.raises(ConfigError, match="expected a distance"):
        load_catalogue(_one_kind(tmp_path, 'threshold = ""'))
    # an override can turn an audited kind into a checklist item
    override = _write(tmp_path, '[[kind]]\nkey = "nursery"\nthreshold = "none"\n', name="o.toml")
    assert load_catalogue(override=override).kind("nursery").threshold_m is None


def test_missing_field(tmp_path: Path) -> None:
    text = (HEADER + KIND).format(key="k", threshold="").replace('source = "s"\n', "")
    with pytest.raises(ConfigError, match=r"kind 'k': missing field\(s\) \['source'\]"):
        load_catalogue(_write(tmp_path, text))


def test_bad_key_and_top_level(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="field 'key': expected lower-case"):
        load_catalogue(_one_kind(tmp_path, "", key="Bad Key"))
    with pytest.raises(ConfigError, match=r"unknown top-level key\(s\) \['kinds'\]"):
        load_catalogue(_write(tmp_path, HEADER + "[[kinds]]\nkey='x'\n"))
    with pytest.raises(ConfigError, match="walk_speed_m_per_min"):
        load_catalogue(
            _write(tmp_path, HEADER.replace("60", "-1") + KIND.format(key="k", threshold=""))
        )
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_catalogue(_write(tmp_path, "[catalogue\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_catalogue(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="no \\[\\[kind\\]\\] entries"):
        load_catalogue(_write(tmp_path, HEADER))


def test_override_changes_adds_and_removes(tmp_path: Path) -> None:
    override = _write(
        tmp_path,
        """
[catalogue]
name = "hangzhou"
version = "2023"
walk_speed_m_per_min = 55

[[kind]]
key = "kindergarten"
threshold = "0.5 km"
verified = true

[[kind]]
key = "utilities"
remove = true

[[kind]]
key = "library"
name_zh = "图书室"
name_en = "Reading room"
tier = "15min"
threshold_m = 1000
requirement = "one"
source = "杭州市 2023"
clause = "3.2"
""",
        name="hangzhou.toml",
    )
    base = load_catalogue()
    cat = load_catalogue(override=override)
    assert cat.origin == str(override)
    assert cat.version == "2026.1+hangzhou-2023"
    assert cat.walk_speed_m_per_min == 55.0
    kg = cat.kind("kindergarten")
    assert kg.threshold_m == 500.0 and kg.verified
    assert kg.name_zh == base.kind("kindergarten").name_zh  # unchanged fields are kept
    assert "utilities" not in cat.keys
    assert cat.kind("library").threshold_m == 1000.0
    assert cat.keys[-1] == "library"
    assert len(cat.kinds) == len(base.kinds)  # one removed, one added


def test_override_errors_name_the_file_and_kind(tmp_path: Path) -> None:
    bad = _write(tmp_path, '[[kind]]\nkey = "kindergarten"\nthreshold_m = -1\n', name="o.toml")
    with pytest.raises(ConfigError, match=r"o\.toml: kind 'kindergarten': field 'threshold_m'"):
        load_catalogue(override=bad)
    new = _write(tmp_path, '[[kind]]\nkey = "library"\nthreshold_m = 100\n', name="n.toml")
    with pytest.raises(ConfigError, match=r"n\.toml: kind 'library': missing field"):
        load_catalogue(override=new)
    gone = _write(tmp_path, '[[kind]]\nkey = "cinema"\nremove = true\n', name="r.toml")
    with pytest.raises(ConfigError, match="cannot remove unknown kind 'cinema'"):
        load_catalogue(override=gone)

"""Normalisation, Chinese numerals and name variants (hand-checked examples)."""

from __future__ import annotations

import pytest

from wanzheng.errors import ConfigError
from wanzheng.place import chinese_number, estate_core, load_vocabulary, normalise, variants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("誠豐影城 (香洲店)", "诚丰影城(香洲店)"),
        ("中建壹品·学府公馆", "中建壹品学府公馆"),
        ("农大小区-北区", "农大小区北区"),
        ("学生公寓 二号楼", "学生公寓2号楼"),
        ("银厦广场十七栋", "银厦广场17栋"),
        ("ＡＢＣ１２３号楼", "abc123号楼"),  # full-width letters and digits
        ("第一教学楼", "第一教学楼"),  # a numeral not before a building unit stays
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百零五", 105),
        ("三百", 300),
        ("一〇五", 105),
        ("两", 2),
        ("五号", None),
        ("", None),
    ],
)
def test_chinese_number(text: str, expected: int | None) -> None:
    assert chinese_number(text) == expected


def test_estate_core() -> None:
    vocab = load_vocabulary()
    assert estate_core("静淑苑", vocab) == "静淑"
    assert estate_core("富润家园", vocab) == "富润"
    assert estate_core("华清嘉园小区", vocab) == "华清嘉园"
    assert estate_core("熙园", vocab) is None  # a one-character core is no name
    assert estate_core("清华东路27号院", vocab) == "清华东路27号"


def test_variants_of_an_estate() -> None:
    keys = dict(variants("富润家园", "estate", load_vocabulary()))
    assert keys["富润家园"] == 1.0
    assert keys["富润家园小区"] == 0.95
    assert keys["富润小区"] == 0.85
    assert keys["富润花园"] == 0.75  # 家园 ↔ 花园
    assert "富润" not in keys  # a two-character core alone is a word, not a key
    assert dict(variants("华清嘉园小区", "estate", load_vocabulary()))["华清嘉园"] == 0.9


def test_variants_of_streets_buildings_and_branches() -> None:
    vocab = load_vocabulary()
    assert dict(variants("中关村北大街", "road", vocab))["中关村北街"] == 0.85
    building = dict(variants("银厦广场17幢", "building", vocab))
    assert building["银厦广场17栋"] == building["银厦广场17号楼"] == 0.95
    assert dict(variants("云尊府(学清路店)", "poi", vocab))["云尊府"] == 0.9
    assert dict(variants("敬业路 Jinye Road", "road", vocab))["敬业路"] == 0.9


def test_bad_vocabulary_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "vocab.toml"
    path.write_text('estate_endings = "小区"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="estate_endings"):
        load_vocabulary(path)

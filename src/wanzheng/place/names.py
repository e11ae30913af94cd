"""Place names as matching keys: normalisation, Chinese numerals and name variants.

Every name and every text goes through :func:`normalise` before matching: NFKC (full-width
letters and digits become ASCII), traditional characters become simplified (OpenCC ``t2s``:
珠海's 誠豐影城 is the 诚丰影城 a resident types), lower case, and spaces and punctuation
dropped. :func:`variants` then lists the other ways residents write a name, each with a
*quality* (1.0 the name as mapped, lower for a variant) that the matcher turns into a
confidence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wanzheng.errors import ConfigError
from wanzheng.standards.datafile import load_toml

__all__ = [
    "Vocabulary",
    "chinese_number",
    "estate_core",
    "load_vocabulary",
    "normalise",
    "variants",
]

_DROP = re.compile(r"[\s\u00b7\u2027\u30fb·\-—–_/\\,，。.;；:：'\"“”‘’!！?？、]+")
_PAREN = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The word lists of ``vocab.toml`` (see that file for what each one does)."""

    estate_endings: tuple[str, ...]
    estate_mention: tuple[str, ...]
    estate_swaps: tuple[tuple[str, ...], ...]
    road_endings: tuple[str, ...]
    road_not_after: tuple[str, ...]
    building_units: tuple[str, ...]
    intersection_joins: tuple[str, ...]
    intersection_cues: tuple[str, ...]
    generic_names: frozenset[str]
    region_endings: tuple[str, ...]
    origin: str


_LISTS = (
    "estate_endings",
    "estate_mention",
    "road_endings",
    "road_not_after",
    "building_units",
    "intersection_joins",
    "intersection_cues",
    "generic_names",
    "region_endings",
)


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read a vocabulary file; ``None`` reads the packaged ``vocab.toml``.

    Raises
    ------
    ConfigError
        Unreadable file, bad TOML, a missing or malformed list.
    """
    doc, origin = load_toml(
        path, package="wanzheng.place", name="vocab.toml", what="place vocabulary"
    )
    raw_swaps = doc.get("estate_swaps", [])
    if not isinstance(raw_swaps, list) or not all(
        isinstance(g, list) and all(isinstance(v, str) and v for v in g) for g in raw_swaps
    ):
        raise ConfigError(f"{origin}: 'estate_swaps' must be a list of lists of strings")
    swaps = tuple(tuple(g) for g in raw_swaps)
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LISTS:
        value = doc.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{origin}: '{key}' must be a list of non-empty strings")
        # longest first, so that the longest ending or unit is tried first
        lists[key] = tuple(sorted(dict.fromkeys(value), key=len, reverse=True))
    return Vocabulary(
        estate_endings=lists["estate_endings"],
        estate_mention=lists["estate_mention"],
        road_endings=lists["road_endings"],
        road_not_after=lists["road_not_after"],
        building_units=lists["building_units"],
        intersection_joins=lists["intersection_joins"],
        intersection_cues=lists["intersection_cues"],
        generic_names=frozenset(normalise(v) for v in lists["generic_names"]),
        estate_swaps=swaps,
        region_endings=lists["region_endings"],
        origin=origin,
    )


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


_CN_NUMBER_UNIT = re.compile(r"([零一二三四五六七八九十百两〇]+)(号楼|号院|栋|幢|座|号|单元|层|楼)")


def normalise(text: str) -> str:
    """The matching form of a name or a text.

    NFKC, traditional → simplified Chinese, lower case, whitespace and punctuation removed
    (brackets are kept: they mark a branch or an alias, see :func:`variants`), and Chinese
    numerals before a building unit written in digits (二号楼 → 2号楼, 十七栋 → 17栋).

    >>> normalise("誠豐影城 (香洲店)"), normalise("学生公寓 二号楼")
    ('诚丰影城(香洲店)', '学生公寓2号楼')
    """
    text = unicodedata.normalize("NFKC", text)
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        text = _t2s().convert(text)
        text = _CN_NUMBER_UNIT.sub(_digits, text)
    return _DROP.sub("", text.lower())


def _digits(m: re.Match[str]) -> str:
    number = chinese_number(m.group(1))
    return m.group(0) if number is None else f"{number}{m.group(2)}"


def chinese_number(text: str) -> int | None:
    """An integer written in Arabic digits or Chinese numerals (0 … 9999), else ``None``.

    >>> [chinese_number(t) for t in ("十二", "二十", "105", "三百零五")]
    [12, 20, 105, 305]
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(c not in _DIGITS and c not in "十百千" for c in text):
        return None
    if all(c in _DIGITS for c in text):  # 一〇五 read digit by digit
        return int("".join(str(_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in _DIGITS:
            digit = _DIGITS[c]
            continue
        unit = {"十": 10, "百": 100, "千": 1000}[c]
        total += (1 if digit is None else digit) * unit
        digit = None
    return total + (digit or 0)


def estate_core(name: str, vocab: Vocabulary) -> str | None:
    """A residential-area name without its generic ending (静淑苑 → 静淑), or ``None`` when
    nothing of at least two characters would be left."""
    for ending in vocab.estate_endings:
        if name.endswith(ending) and len(name) - len(ending) >= 2:
            core = name[: -len(ending)]
            # 双泉嘉苑 → 双泉; 学士居 → 学士; keep digits-only cores out (27号院 → no core)
            if _CJK.search(core):
                return core
    return None


def _parts(name: str) -> list[str]:
    """Pieces of a name that carries several (``翠珠花园 人民西路961号``, ``农大小区-北区``)."""
    raw = unicodedata.normalize("NFKC", name)
    pieces = [p for p in re.split(r"[\s;/|]+", raw) if p]
    return pieces if len(pieces) > 1 else []


def variants(name: str, cls: str, vocab: Vocabulary) -> list[tuple[str, float]]:
    """Normalised keys a resident may write for the place ``name`` of class ``cls``.

    Returns ``(key, quality)`` pairs, the name itself first with quality 1.0:

    * every place: the name without a bracketed part (云尊府(学清路店) → 云尊府, 0.9); each
      whitespace-separated piece with Chinese in it (敬业路 Jinye Road → 敬业路, 0.9);
    * residential areas (``estate``, ``community``): the core plus each word of
      ``estate_mention`` (静淑苑 → 静淑小区, 静淑苑小区 …, 0.85), the name plus such a word
      (0.95), the core alone when the name ends in such a word and the core keeps three
      characters (华清嘉园小区 → 华清嘉园, 0.9), the ending swapped within a group of
      ``estate_swaps`` (富润家园 → 富润花园, 0.75), the part before a ``-``
      (农大小区-北区 → 农大小区, 0.8);
    * streets: 大街 ↔ 街 (0.85).

    Keys shorter than two characters are dropped.
    """
    out: dict[str, float] = {}

    def add(key: str, quality: float) -> None:
        key = normalise(key)
        if len(key) >= 2 and out.get(key, 0.0) < quality:
            out[key] = quality

    add(name, 1.0)
    bare = _PAREN.sub("", unicodedata.normalize("NFKC", name)).strip()
    if bare and bare != name:
        add(bare, 0.9)
    for piece in _parts(name):
        if _CJK.search(piece):
            add(piece, 0.9)
    if cls in ("estate", "community"):
        base = bare or name
        head = re.split(r"[-—–]", unicodedata.normalize("NFKC", base))[0].strip()
        if head and head != base:
            add(head, 0.8)
        core = estate_core(base, vocab)
        if core and len(core) >= 3 and base.endswith(vocab.estate_mention):
            add(core, 0.9)  # 华清嘉园小区 → 华清嘉园
        # a short core (学士 of 学士居) is a word, never a key alone; only with a word after it
        for stem, quality in ((base, 0.95), (core, 0.85)):
            if not stem:
                continue
            for word in vocab.estate_mention:
                if not stem.endswith(word):
                    add(stem + word, quality)
        swap = next(
            (
                (ending, group)
                for group in vocab.estate_swaps
                for ending in sorted(group, key=len, reverse=True)
                if base.endswith(ending) and len(base) - len(ending) >= 2
            ),
            None,
        )
        if swap is not None:
            ending, group = swap
            for other in group:
                if other != ending:
                    add(base[: -len(ending)] + other, 0.75)
    if cls == "building":
        numbered = re.match(r"^(.+?)(\d+)(号楼|号|栋|幢|座|楼)$", normalise(bare or name))
        if numbered is not None and _CJK.search(numbered.group(1)):
            for unit in vocab.building_units:
                add(numbered.group(1) + numbered.group(2) + unit, 0.95)
    if cls == "road":
        norm = bare or name
        if norm.endswith("大街"):
            add(norm[:-2] + "街", 0.85)
        elif norm.endswith("街"):
            add(norm[:-1] + "大街", 0.85)
    return list(out.items())

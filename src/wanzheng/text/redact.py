"""Find and mask personal data in Chinese free text before it is shown outside the handling staff.

What is detected (each a ``kind`` of :class:`RedactionSpan`):

``mobile``
    Mainland mobile numbers ``1[3-9]`` + 9 digits, optionally ``+86`` / ``86`` / ``0086`` in front,
    with spaces or hyphens in the usual 3-4-4 grouping (``138 1234 5678``, ``+86-138-1234-5678``).
``landline``
    Fixed-line numbers with an area code ``0xx`` / ``0xxx`` and a 7–8 digit local number
    starting with 2–9, written with a hyphen, space or brackets (``0731-84567890``,
    ``(010)62345678``), optionally with an extension (``-123``, ``转123``, ``ext 12``).
    Without any separator the digits are accepted only right after a telephone word
    (电话, 座机, 致电 …), since a bare 11–12 digit run is more often an order number.
``id_number``
    18-character resident ID numbers whose birth date is a real date and whose
    ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) is right. A wrong check
    character is not an ID number.
``bank_card``
    16–19 digit card numbers (optionally grouped by four with spaces or hyphens) that pass the
    Luhn check, are not preceded by an order / tracking word (订单, 单号, 运单, 快递 …) and are
    not an ID-number-shaped 18-digit run.
``email``
    ``local@domain.tld`` addresses.
``plate``
    Licence plates: a province character, a letter, then five characters (at least three of
    them digits, letters I and O excluded) or a six-character new-energy plate (``D``/``F``
    first or last), optionally with a separator dot (``湘A·12345``, ``粤B D12345``).
``address``
    Only with ``addresses=True``: the part of an address *below* the building, that is unit, floor
    and room (``2单元301室``, ``502室``, ``3-2-401``), written in Arabic or Chinese numerals. The
    building itself (``5号楼``, ``3栋``) stays visible so that the case can still be located.

Digits that are part of a longer run of digits or letters (order numbers, tracking numbers such as
``SF1381234567890``), amounts (``¥13812345678.00``), dates (``20231105``) and room counts
(``三室一厅``, ``3室2厅``) are not matched.

Known limits: numbers spelled out in Chinese characters (幺三八…), numbers split by unusual
characters, foreign phone numbers, names of persons and free-form addresses are not detected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["KIND_LABELS", "RedactionResult", "RedactionSpan", "redact"]

#: The placeholder written in place of each kind of personal data.
KIND_LABELS: dict[str, str] = {
    "mobile": "〔手机号〕",
    "landline": "〔电话〕",
    "id_number": "〔身份证号〕",
    "bank_card": "〔银行卡号〕",
    "email": "〔邮箱〕",
    "plate": "〔车牌号〕",
    "address": "〔详细地址〕",
}


@dataclass(frozen=True, slots=True)
class RedactionSpan:
    """One piece of personal data found in the original text.

    ``start`` and ``end`` are character offsets into the *original* text (``end`` exclusive).
    """

    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """The masked text and what was masked, in order of position."""

    text: str
    spans: tuple[RedactionSpan, ...]

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of personal data found."""
        return frozenset(s.kind for s in self.spans)


# A digit or ASCII letter next to a candidate means it is part of a longer code.
_NB = r"(?<![0-9A-Za-z])"
_NA = r"(?![0-9A-Za-z])"
# Money signs before, or a decimal part after, mean an amount.
_NOT_AMOUNT_BEFORE = r"(?<![¥￥$＄.])"
_NOT_DECIMAL_AFTER = r"(?!\.\d)"

_MOBILE = re.compile(
    _NB
    + _NOT_AMOUNT_BEFORE
    + r"(?:(?:\+|00)?86[ \-]?|\(\+?86\)[ \-]?|（\+?86）[ \-]?)?"
    + r"1[3-9]\d(?:[ \-]?\d{4}[ \-]?\d{4})"
    + _NA
    + _NOT_DECIMAL_AFTER
)

_EXT = r"(?:\s*(?:-|转|分机|ext\.?\s*|EXT\.?\s*|x)\s*\d{1,6})?"
_LANDLINE_SEP = re.compile(
    _NB
    + _NOT_AMOUNT_BEFORE
    + r"(?:[(（]0\d{2,3}[)）][ \-]?|0\d{2,3}[ \-])[2-9]\d{6,7}"
    + _EXT
    + _NA
    + _NOT_DECIMAL_AFTER
)
_PHONE_WORDS = (
    r"(?:电话|座机|固话|致电|拨打|热线|联系方式|联系电话|号码|Tel|TEL|tel)[:：是为 ]{0,3}"
)
_LANDLINE_BARE = re.compile(_PHONE_WORDS)
_LANDLINE_BARE_NUM = re.compile(r"0\d{2,3}[2-9]\d{6,7}" + _NA + _NOT_DECIMAL_AFTER)

_ID = re.compile(_NB + r"[1-9]\d{16}[0-9Xx]" + _NA)
_CARD = re.compile(
    _NB + _NOT_AMOUNT_BEFORE + r"(?:\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?|\d{16,19})" + _NA
)
_ORDER_WORDS = re.compile(
    r"(?:订单|单号|运单|快递|物流|流水|编号|工单|交易号|发票|合同号|批次|序列号)"
    r"[号码]?[:：是为 ]{0,3}$"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CH = "A-HJ-NP-Z0-9"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-Z][·•・.\- ]?"
    rf"(?:[DF][{_PLATE_CH}]\d{{4}}|\d{{5}}[DF]|[{_PLATE_CH}]{{4}}[{_PLATE_CH}挂学警港澳])" + _NA
)

_CN_NUM = "零〇一二两三四五六七八九十百"
_N = rf"(?:\d{{1,4}}|[{_CN_NUM}]{{1,4}})"
# The building part that stays visible, and the unit / floor / room part that is masked.
_ADDR_BUILDING = re.compile(rf"{_N}\s*(?:号楼|栋|幢|座|号院)")
_ADDR_BELOW = re.compile(
    rf"(?<!\d)(?:{_N}\s*单元\s*(?:{_N}\s*(?:层|楼)\s*)?(?:{_N}\s*(?:室|号|户))?"
    rf"|{_N}\s*(?:层|楼)\s*{_N}\s*(?:室|号|户)"
    rf"|\d{{1,2}}\s*[-－]\s*\d{{1,2}}\s*[-－]\s*(?!(?:19|20)\d\d(?!\d))\d{{3,4}}(?!\d)(?:\s*室)?"
    rf"|\d{{3,5}}\s*室(?![一二两三四五六七八九十\d]*\s*[厅卫])"
    rf"|[{_CN_NUM}]{{3,5}}\s*室(?![{_CN_NUM}]*\s*[厅卫])"
    rf"|{_N}\s*号(?=[，。,.；;、\s]|$))"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_valid(s: str) -> bool:
    """True when the 18-character ID has a real birth date and the right check character."""
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == s[17].upper()


def _id_shaped(s: str) -> bool:
    """True when 18 digits carry a plausible birth date (so they are not taken as a card)."""
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return 1900 <= int(s[6:10]) <= 2100


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _find(text: str, *, addresses: bool) -> list[RedactionSpan]:
    found: list[RedactionSpan] = []

    def add(start: int, end: int, kind: str) -> None:
        found.append(RedactionSpan(start, end, kind, text[start:end]))

    for m in _ID.finditer(text):
        if _id_valid(m.group()):
            add(m.start(), m.end(), "id_number")
    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _MOBILE.finditer(text):
        add(m.start(), m.end(), "mobile")
    for m in _LANDLINE_SEP.finditer(text):
        add(m.start(), m.end(), "landline")
    for m in _LANDLINE_BARE.finditer(text):
        n = _LANDLINE_BARE_NUM.match(text, m.end())
        if n and (n.start() == 0 or not text[n.start() - 1].isdigit()):
            add(n.start(), n.end(), "landline")
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ \-]", "", m.group())
        if not 16 <= len(digits) <= 19 or not _luhn(digits):
            continue
        if len(digits) == 18 and _id_shaped(digits):
            continue
        if _ORDER_WORDS.search(text[max(0, m.start() - 8) : m.start()]):
            continue
        add(m.start(), m.end(), "bank_card")
    for m in _PLATE.finditer(text):
        tail = re.sub(r"[·•・.\- ]", "", m.group())[2:]
        if len(tail) == 5 and sum(c.isdigit() for c in tail) < 3:
            continue
        add(m.start(), m.end(), "plate")
    if addresses:
        for m in _ADDR_BELOW.finditer(text):
            span = m.group()
            # A bare "X号" is a room only right after a building (3栋502号), not a street number.
            if (
                span.rstrip().endswith("号")
                and "单元" not in span
                and not re.search(r"[层楼]", span)
            ):
                before = text[max(0, m.start() - 8) : m.start()]
                if not re.search(r"(?:号楼|栋|幢|座)\s*$", before):
                    continue
            add(m.start(), m.end(), "address")
    return found


def _resolve(spans: list[RedactionSpan]) -> list[RedactionSpan]:
    """Keep non-overlapping spans: earlier first, then longer, then by kind priority."""
    priority = {k: i for i, k in enumerate(KIND_LABELS)}
    ordered = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), priority[s.kind]))
    kept: list[RedactionSpan] = []
    for s in ordered:
        if kept and s.start < kept[-1].end:
            continue
        kept.append(s)
    return kept


def redact(text: str, *, addresses: bool = False) -> RedactionResult:
    """Mask personal data in ``text``.

    Parameters
    ----------
    text
        Free text of any length, for example the detail of a resident's message.
    addresses
        Also mask the part of an address below the building (unit, floor, room).

    Returns
    -------
    RedactionResult
        ``text`` with each piece of personal data replaced by a placeholder from
        :data:`KIND_LABELS` (``〔手机号〕`` …), and the spans found, with offsets into the
        original text.
    """
    spans = _resolve(_find(text, addresses=addresses))
    out: list[str] = []
    pos = 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(KIND_LABELS[s.kind])
        pos = s.end
    out.append(text[pos:])
    return RedactionResult("".join(out), tuple(spans))

"""Find and mask personal data in Chinese free text before it is shown outside the handling staff.

Redaction errs towards hiding: **anything shaped like a phone, ID or card number is hidden
whether or not it validates** (a wrong ID check character or a card failing Luhn is still
somebody's number, mistyped or altered on purpose), and numbers are recognised however they
are written — ASCII or full-width digits (``１３８…``), Chinese numerals (``一三八…``,
``幺三八…``, ``壹叁捌…``), circled digits, grouped by spaces, hyphens, dashes or dots.

What is detected (each a ``kind`` of :class:`RedactionSpan`):

``mobile``
    11 digits starting with ``1`` (``138 1234 5678``, ``一三八一二三四五六七八``), optionally with
    ``+86`` / ``0086`` / ``（+86）`` in front.
``landline``
    An area code ``0xx`` / ``0xxx`` and a 7–8 digit local number (``0731-84567890``,
    ``(010)62345678``, ``073184567890``) with an optional extension (``-8012``, ``转123``), or a
    bare 7–8 digit number (a local number without its area code).
``id_number``
    18 characters (17 digits and a digit or ``X``) or the 15 digits of a first-generation ID,
    check character right or not. An 18-digit run is an ID when it carries a plausible birth
    date, else a card.
``bank_card``
    16–19 digits, grouped by four or not, Luhn-valid or not.
``number``
    Any other run of at least 7 digits (order, tracking and account numbers, QQ numbers, two
    phone numbers written together): hidden as ``〔号码〕``.
``email``
    ``local@domain.tld`` addresses.
``plate``
    Licence plates: a province character, a letter, then five characters (at least three of
    them digits, letters I and O excluded) or a six-character new-energy plate (``D``/``F``
    first or last), optionally with a separator dot (``湘A·12345``, ``粤B D12345``).
``address``
    Only with ``addresses=True``: building, unit, floor and room numbers — ``5号楼3单元1201``,
    ``12栋502房``, ``三号楼二单元五零二室``, ``B座15楼1502室``, ``3-2-401``, ``1203室`` — as one
    span. The estate, road and street number (``幸福小区``, ``B5路22号``) stay visible, so the
    problem can still be placed.

A run of digits is **not** hidden when it is plainly not about a person: a date
(``20231105``, ``2023-11-05``, ``2023.11.5``), a range of years (``2019-2023``), an amount or a
quantity (``¥13812345678.00``, ``1380000元``, ``120.5平方米``; a run with a unit after it only when
it is not phone-shaped and has at most 10 digits), a decimal part, and a code glued to Latin
letters of at most 10 digits (standards ``GB50180-2018``, models). Room counts
(``三室一厅``, ``3室2厅``), counts of buildings (``3栋楼``, ``两座桥``, ``一栋三层``), households
(``200户居民``) and floors on their own (``一楼大厅``) are not addresses.

Known limits: digits separated by commas or other punctuation (``138，1234，5678``), numbers
spelled with 十/百 (``一百三十八``), foreign phone numbers, names of persons and free-form
addresses are not detected. ``docs/text.md`` gives recall and precision.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date

__all__ = ["KIND_LABELS", "RedactionResult", "RedactionSpan", "redact"]

#: The placeholder written in place of each kind of personal data; the order is the priority
#: when two kinds claim the same characters.
KIND_LABELS: dict[str, str] = {
    "mobile": "〔手机号〕",
    "id_number": "〔身份证号〕",
    "bank_card": "〔银行卡号〕",
    "email": "〔邮箱〕",
    "plate": "〔车牌号〕",
    "address": "〔详细地址〕",
    "landline": "〔电话〕",
    "number": "〔号码〕",
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


# --- one character for one character: full-width forms, then every way to write a digit -------

# Full-width digits, Latin letters and the signs numbers are written with (not the
# full-width comma or brackets of ordinary Chinese text), and the ideographic space.
_FULLWIDTH_CHARS = "０１２３４５６７８９＋－．＿＠" + "".join(
    chr(c) for c in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
)
_FULLWIDTH = str.maketrans({c: chr(ord(c) - 0xFEE0) for c in _FULLWIDTH_CHARS} | {"\u3000": " "})
_HAS_FULLWIDTH = re.compile(f"[{re.escape(_FULLWIDTH_CHARS)}\u3000]")
_NUMERALS = {
    "〇": "0",
    "零": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
    "壹": "1",
    "贰": "2",
    "貳": "2",
    "叁": "3",
    "參": "3",
    "肆": "4",
    "伍": "5",
    "陆": "6",
    "陸": "6",
    "柒": "7",
    "捌": "8",
    "玖": "9",
    "⓪": "0",
    **{chr(0x2460 + i): str(i + 1) for i in range(9)},  # ①-⑨
    **{chr(0x2776 + i): str(i + 1) for i in range(9)},  # ❶-❾
    **{chr(0x2780 + i): str(i + 1) for i in range(9)},  # ➀-➈
    **{chr(0x278A + i): str(i + 1) for i in range(9)},  # ➊-➒
}
_DIGITS = str.maketrans(_NUMERALS)

# A run of digits with single separators between its groups (on the text where every digit
# is an ASCII digit): spaces, hyphens and dashes, dots, underscores.
_SEP = r"(?:[ \t]{1,2}|[ ]?[-‐‑–—―−_.·•][ ]?)"
_CHAIN = re.compile(rf"\d+(?:{_SEP}\d+)*")
_GROUP = re.compile(r"\d+")
_YEAR = re.compile(r"(?:19|20)\d\d")

_AMOUNT_BEFORE = re.compile(r"[¥$€£][ ]?$|人民币$|RMB[ ]?$")
_UNIT_AFTER = re.compile(
    r"[ ]?(?:元|块|角|万|亿|千|百|%|‰|人|户|个|次|辆|台|套|间|平|㎡|米|m|M|公里|千米|km|亩|吨|斤|"
    r"公斤|克|kg|升|度|天|小时|分钟|秒|年|月|日|周|倍|字|页|条|份|名|位|家|所|棵|株|只|件|项|张|本|册)"
)
_ORDER_WORDS = re.compile(
    r"(?:订单|单号|运单|快递|物流|流水|编号|工单|交易号|发票|合同号|批次|序列号|账号|QQ|qq|微信)"
    r"[号码]?[:：是为 ]{0,3}$"
)
_AREA_PREFIX = re.compile(r"[(（][ ]?0\d{2,3}[ ]?[)）][ -]?$")
_CC_PREFIX = re.compile(r"(?:[(（][ ]?\+?(?:00)?86[ ]?[)）]|(?<!\d)\+?(?:00)?86)[ -]?$")
_EXTENSION = re.compile(r"[ ]?(?:转|分机|ext\.?|EXT\.?|x|X)[ ]?\d{1,6}(?!\d)")


def _id_shaped(digits: str) -> bool:
    """True when 18 digits carry a plausible birth date at positions 7-14."""
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def _is_date8(digits: str) -> bool:
    if not _YEAR.fullmatch(digits[:4]):
        return False
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return True


def _datelike(group: str) -> bool:
    """A year (2019), a month (201712) or a day (20171205)."""
    if not _YEAR.fullmatch(group[:4]):
        return False
    if len(group) == 4:
        return True
    if len(group) == 6:
        return 1 <= int(group[4:]) <= 12
    return len(group) == 8 and _is_date8(group)


def _groups(digit_text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _GROUP.finditer(digit_text, start, end)]


def _joins(
    digit_text: str, a: tuple[int, int], b: tuple[int, int], prev: tuple[int, int] | None
) -> bool:
    """Whether groups ``a`` and ``b`` (adjacent in a chain) belong to one number."""
    ga, gb = digit_text[a[0] : a[1]], digit_text[b[0] : b[1]]
    sep = digit_text[a[1] : b[0]].strip()
    if not sep:
        # Spaces alone: groups of a number (138 1234 5678, 6222 0212 3456 7890 123) or digits
        # spaced out one by one; two-digit groups (81 81 81) are a list of numbers.
        if not ((len(ga) >= 3 and len(gb) >= 2) or (len(ga) == 1 and len(gb) == 1)):
            return False
    else:
        if _YEAR.fullmatch(ga) and len(gb) <= 2:  # a date: 2023-11-05, 2023.11.5
            return False
        if prev is not None and len(ga) <= 2 and _YEAR.fullmatch(digit_text[prev[0] : prev[1]]):
            return False  # the day after the month
        if _datelike(ga) and _datelike(gb) and sep != ".":
            return False  # a range of years or months: 2019-2023, 201712-201806
    if sep == "." and (len(ga) < 3 or len(gb) < 3):
        return False  # a decimal point
    # Two runs that are each long enough to be a number are two numbers.
    return not (len(ga) >= 7 and len(gb) >= 7)


def _classify(digits: str, before: str) -> str:
    n = len(digits)
    if _ORDER_WORDS.search(before):
        return "number"
    if n == 11 and digits[0] == "1":
        return "mobile"
    if (n == 13 and digits.startswith("86") and digits[2] == "1") or (
        n == 15 and digits.startswith("0086") and digits[4] == "1"
    ):
        return "mobile"
    if digits[0] == "0" and 10 <= n <= 12:
        return "landline"
    if n in (7, 8):
        return "landline"
    if n == 15 or (n == 18 and _id_shaped(digits)):
        return "id_number"
    if 16 <= n <= 19:
        return "bank_card"
    return "number"


def _numbers(text: str, digit_text: str) -> list[RedactionSpan]:
    found: list[RedactionSpan] = []

    def add(start: int, end: int, kind: str) -> None:
        found.append(RedactionSpan(start, end, kind, text[start:end]))

    for chain in _CHAIN.finditer(digit_text):
        if chain.end() - chain.start() < 7:  # fewer than 7 digits: most runs
            continue
        groups = _groups(digit_text, chain.start(), chain.end())
        lead = digit_text[max(0, chain.start() - 2) : chain.start()].rstrip(" ")[-1:]
        glued = lead.isascii() and lead.isalpha()  # a code: GB50180-2018, SF1381234567890
        parts: list[list[tuple[int, int]]] = [[groups[0]]]
        for i in range(1, len(groups)):
            prev = groups[i - 2] if i >= 2 else None
            if not glued and _joins(digit_text, groups[i - 1], groups[i], prev):
                parts[-1].append(groups[i])
            else:
                parts.append([groups[i]])
        # More than 19 digits in groups separated by spaces only is a list of numbers (wages,
        # scores), not one number.
        split: list[list[tuple[int, int]]] = []
        for part in parts:
            seps = [digit_text[a[1] : b[0]].strip() for a, b in itertools.pairwise(part)]
            size = sum(b - a for a, b in part)
            if size > 19 and seps and not any(seps):
                split.extend([g] for g in part)
            else:
                split.append(part)
        for part in split:
            start, end = part[0][0], part[-1][1]
            digits = "".join(digit_text[a:b] for a, b in part)
            n = len(digits)
            # 17 digits and an X: an ID number whose check character is X.
            if n == 17 and end < len(text) and digit_text[end] in "Xx":
                nxt = digit_text[end + 1 : end + 2]
                if not (nxt.isascii() and nxt.isalpha()):
                    end += 1
                    digits += "X"
                    n = 18
            if n < 7:
                continue
            before = digit_text[max(0, start - 12) : start]
            after = digit_text[end : end + 4]
            if glued and part is split[0] and n <= 10:
                continue
            if start >= 2 and digit_text[start - 1] == "." and digit_text[start - 2].isdigit():
                continue  # the decimal part of a number
            if _AMOUNT_BEFORE.search(before) or re.match(r"\.\d", after):
                continue  # an amount: ¥13812345678.00, 13812345678.50元
            phone_like = n == 11 and digits[0] == "1"
            if n <= 10 and not phone_like and _UNIT_AFTER.match(after):
                continue  # a quantity: 1380000元, 20000000人
            if n == 8 and _is_date8(digits):
                continue
            if digits.endswith("X"):
                kind = "id_number"
            elif (
                len(part) >= 2
                and digit_text[part[0][0]] == "0"
                and 3 <= part[0][1] - part[0][0] <= 4
                and 7 <= part[1][1] - part[1][0] <= 8
            ):
                kind = "landline"  # area code, local number, maybe an extension: 0755-26543210-8012
            else:
                kind = _classify(digits, before)
            # Prefixes and extensions belong to the number.
            if kind == "mobile":
                m = _CC_PREFIX.search(digit_text[max(0, start - 8) : start])
                if m:
                    start -= len(m.group())
                elif start and digit_text[start - 1] == "+":  # +86-199-… (86 in the run)
                    start -= 1
            if kind == "landline":
                m = _AREA_PREFIX.search(digit_text[max(0, start - 9) : start])
                if m:
                    start -= len(m.group())
                x = _EXTENSION.match(digit_text, end)
                if x:
                    end = x.end()
            add(start, end, kind)
    return found


_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CH = "A-HJ-NP-Z0-9"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-Z][·•・.\- ]?"
    rf"(?:[DF][{_PLATE_CH}]\d{{4}}|\d{{5}}[DF]|[{_PLATE_CH}]{{4}}[{_PLATE_CH}挂学警港澳])"
    r"(?![0-9A-Za-z])"
)

# --- addresses: building, unit, floor, room ----------------------------------------------------

_CN = "零〇一二两三四五六七八九十百"
_A = r"\d{1,4}"
_C = rf"[{_CN}]{{1,4}}"
_NUM = rf"(?:{_A}|{_C})"
# A building: 5号楼, 三号楼, 2号院, 12栋, 3幢, B座 — not a count of them (3栋楼, 两座桥, 3座公园).
# (Not 层: "一栋三层" is a three-storey building, a count.)
_COMPONENT_AHEAD = rf"(?=\s*(?:{_NUM}\s*(?:单元|楼|室|房|号|门|户)|\d{{3,4}}(?!\d)))"
_NOT_COUNTED = "(?![桥山城楼房塔寺庙墙岛屋宅建])"
_BUILDING = (
    rf"(?:{_NUM}\s*号\s*(?:楼|院)(?![梯道顶])"
    rf"|[A-Za-z]\s*(?:栋|幢|座){_NOT_COUNTED}"
    rf"|{_A}\s*(?:栋|幢){_NOT_COUNTED}"
    rf"|(?:{_A}|{_C})\s*座{_COMPONENT_AHEAD}"
    rf"|{_C}\s*(?:栋|幢){_COMPONENT_AHEAD})"
)
_UNIT = rf"(?:{_NUM}\s*单元|{_A}\s*门(?=\s*\d))"
_FLOOR = rf"{_NUM}\s*(?:层|楼)(?![梯道顶下上])"
_ROOM = rf"(?:{_A}|[{_CN}]{{1,5}})\s*(?:室|房|户|号)(?!\s*[厅卫])"
_BARE = (
    r"(?:\d{2,5}(?![\d.]|\s*(?:年|月|日|元|块|米|平|%|人|户|层|楼|栋|幢|个|次|号楼|多|余|路|号线))"
    r"|[零〇一二三四五六七八九]{3,4}(?![年月日元块米人户个次多余]))"
)
_NEXT = rf"(?:{_BUILDING}|{_UNIT}|{_ROOM}|{_FLOOR}|{_BARE})"
_ADDRESS = re.compile(
    # the lookahead lets the engine skip every position that cannot start an address
    rf"(?=[\dA-Za-z{_CN}])(?<![\d{_CN}])(?:"
    rf"(?:{_BUILDING}|{_UNIT})(?:\s*{_NEXT})*"
    rf"|{_FLOOR}\s*(?:{_ROOM}|\d{{3,5}}(?![\d.]))"
    rf"|\d{{3,5}}\s*(?:室|房)(?![{_CN}\d]*\s*[厅卫])"
    rf"|[{_CN}]{{3,5}}\s*室(?![{_CN}]*\s*[厅卫])"
    rf"|\d{{1,2}}\s*-\s*\d{{1,2}}\s*-\s*(?!(?:19|20)\d\d(?!\d))\d{{3,4}}(?!\d)(?:\s*(?:室|房))?"
    r")"
)
# "有5栋" counts buildings; "住5栋" names one. A lone number-栋 after these is a count.
_LONE_BUILDING = re.compile(rf"{_A}\s*(?:栋|幢)")
_COURT = re.compile(rf"{_NUM}\s*号\s*院")
_ROAD_BEFORE = re.compile(r"(?:路|街|道|巷|弄|里|胡同)\s*$")
_COUNT_BEFORE = re.compile(r"(?:有|共|了|这|那|约|近|余|和|、|及|与|剩|仅|只|多|每|再|另)\s*$")


_CN_RUN = re.compile(f"[{''.join(_NUMERALS)}]+")


def _digit_view(ascii_text: str) -> str:
    """``ascii_text`` with every way of writing a digit as an ASCII digit (same length).

    A short run of numeral characters glued to ASCII digits is a word or a dash, not digits
    (``84567890一直``, ``12345两三次``, ``5000一10000``): such a run counts only when it is at
    least three long, or two long between ASCII digits (``138一二三四5678``).
    """
    n = len(ascii_text)

    def digits(m: re.Match[str]) -> str:
        a, b = m.span()
        left = a > 0 and ascii_text[a - 1] in _ASCII_DIGITS
        right = b < n and ascii_text[b] in _ASCII_DIGITS
        if (left or right) and b - a < (2 if left and right else 3):
            return m.group()
        return m.group().translate(_DIGITS)

    return _CN_RUN.sub(digits, ascii_text)


_ASCII_DIGITS = frozenset("0123456789")


def _find(text: str, *, addresses: bool) -> list[RedactionSpan]:
    ascii_text = text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text
    digit_text = _digit_view(ascii_text)
    found = _numbers(text, digit_text)

    def add(start: int, end: int, kind: str) -> None:
        found.append(RedactionSpan(start, end, kind, text[start:end]))

    for m in _EMAIL.finditer(ascii_text):
        add(m.start(), m.end(), "email")
    for m in _PLATE.finditer(ascii_text):
        tail = re.sub(r"[·•・.\- ]", "", m.group())[2:]
        if len(tail) == 5 and sum(c.isdigit() for c in tail) < 3:
            continue
        add(m.start(), m.end(), "plate")
    if addresses:
        for m in _ADDRESS.finditer(ascii_text):
            start, end = m.start(), m.end()
            if _LONE_BUILDING.fullmatch(m.group().rstrip()) and _COUNT_BEFORE.search(
                ascii_text[max(0, start - 3) : start]
            ):
                continue
            # "学清路8号院" is a street address (the problem's place): only what follows it is
            # hidden (学清路8号院〔详细地址〕 for 8号院3号楼501).
            court = _COURT.match(ascii_text, start, end)
            if court and _ROAD_BEFORE.search(ascii_text[max(0, start - 2) : start]):
                start = court.end()
                while start < end and ascii_text[start].isspace():
                    start += 1
                if start >= end:
                    continue
            while end > start and ascii_text[end - 1].isspace():
                end -= 1
            add(start, end, "address")
    return found


def _resolve(text: str, spans: list[RedactionSpan]) -> list[RedactionSpan]:
    """Non-overlapping spans covering every character any span claims.

    Overlapping spans are merged into one (nothing found is ever shown); the merged span takes
    the kind of its longest member (ties by :data:`KIND_LABELS` order).
    """
    priority = {k: i for i, k in enumerate(KIND_LABELS)}
    ordered = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), priority[s.kind]))
    groups: list[list[RedactionSpan]] = []
    end = -1
    for s in ordered:
        if groups and s.start < end:
            groups[-1].append(s)
            end = max(end, s.end)
        else:
            groups.append([s])
            end = s.end
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        lead = min(g, key=lambda s: (-(s.end - s.start), priority[s.kind]))
        start, stop = g[0].start, max(s.end for s in g)
        out.append(RedactionSpan(start, stop, lead.kind, text[start:stop]))
    return out


def redact(text: str, *, addresses: bool = False) -> RedactionResult:
    """Mask personal data in ``text``.

    Parameters
    ----------
    text
        Free text of any length, for example the detail of a resident's message.
    addresses
        Also mask building, unit, floor and room numbers.

    Returns
    -------
    RedactionResult
        ``text`` with each piece of personal data replaced by a placeholder from
        :data:`KIND_LABELS` (``〔手机号〕`` …), and the spans found, with offsets into the
        original text.
    """
    spans = _resolve(text, _find(text, addresses=addresses))
    out: list[str] = []
    pos = 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(KIND_LABELS[s.kind])
        pos = s.end
    out.append(text[pos:])
    return RedactionResult("".join(out), tuple(spans))

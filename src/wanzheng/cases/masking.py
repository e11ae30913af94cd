"""Personal data of residents: validation and masking (PIPL).

Phone and ID numbers are stored once, in the resident's row, and leave the service masked
(``138****1234``) unless a role that may unmask asks explicitly; the store logs every
unmasking.
"""

from __future__ import annotations

import re
import unicodedata

from wanzheng.errors import DataError

__all__ = [
    "ID_NUMBER_PATTERN",
    "PHONE_PATTERN",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalise_id_number",
    "normalise_phone",
    "redact_text",
]

# Spaces (ASCII, no-break, ideographic), tabs and brackets may stand anywhere in a phone
# number; digits, brackets, plus and hyphen may be full-width (a Chinese input method's).
_SEP = "[ \\t\\u00a0\\u3000()\\uff08\\uff09]*"
_D = "[0-9\\uff10-\\uff19]"
PHONE_PATTERN = (
    f"^{_SEP}(?:[+\\uff0b]{_SEP}[8\\uff18]{_SEP}[6\\uff16]{_SEP})?"
    f"(?:[1\\uff11]{_SEP}[3-9\\uff13-\\uff19](?:{_SEP}{_D}){{9}}"
    f"|[0\\uff10](?:{_SEP}{_D}){{2,3}}{_SEP}(?:[-\\uff0d]{_SEP})?(?:{_SEP}{_D}){{7,8}}){_SEP}$"
)
"""A mainland mobile (``1[3-9]`` + 9 digits) or landline (``0`` + area code, optional ``-``,
7–8 digits), optionally after ``+86``; the one definition used by :func:`normalise_phone` and
by the API's JSON Schema (explicit classes only, so that both regex dialects read it alike)."""
ID_NUMBER_PATTERN = "^[ \t]*[0-9]{17}[0-9Xx][ \t]*$"
"""The shape of an 18-character resident ID number (the check digit is checked apart)."""
_PHONE = re.compile(PHONE_PATTERN)
_PHONE_SEP = re.compile(_SEP)
_ID = re.compile(ID_NUMBER_PATTERN)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str, *, field: str = "phone") -> str:
    """A mainland mobile or landline number (:data:`PHONE_PATTERN`) without its spaces,
    brackets and ``+86`` prefix."""
    if not _PHONE.fullmatch(value):
        raise DataError(
            f"{field}: expected a mainland mobile (11 digits) or landline, got {value!r}"
        )
    v = unicodedata.normalize("NFKC", _PHONE_SEP.sub("", value))
    return v.removeprefix("+86")


def normalise_id_number(value: str, *, field: str = "id_number") -> str:
    """Validate an 18-character resident ID number including its GB 11643 check digit."""
    if not _ID.fullmatch(value):
        raise DataError(
            f"{field}: expected an 18-character ID number (17 digits, then a digit or X)"
        )
    v = value.strip(" \t").upper()
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(v[:17], _ID_WEIGHTS, strict=True)) % 11]
    if v[17] != check:
        raise DataError(f"{field}: the check digit of the ID number is wrong")
    return v


def mask_phone(value: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; landlines keep the last four digits."""
    if value is None:
        return None
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) == 11 and value.isdigit():
        return f"{value[:3]}****{value[-4:]}"
    return "*" * (len(value) - 4) + value[-4:]


def mask_id_number(value: str | None) -> str | None:
    """Keep the first four and the last four characters: ``1101**********1234``."""
    if value is None:
        return None
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """Keep the family name: ``张三`` → ``张*``."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?!\d)")


def redact_text(text: str) -> str:
    """Mask mobile and ID numbers written inside free text (for public views)."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _PHONE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(3), text)

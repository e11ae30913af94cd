"""Personal data of residents: validation and masking (PIPL).

Phone and ID numbers are stored once, in the resident's row, and leave the service masked
(``138****1234``) unless a role that may unmask asks explicitly; the store logs every
unmasking.
"""

from __future__ import annotations

import re

from wanzheng.errors import DataError

__all__ = [
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalise_id_number",
    "normalise_phone",
    "redact_text",
]

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str, *, field: str = "phone") -> str:
    """Strip spaces and a +86 prefix; accept a mainland mobile or a landline number."""
    v = re.sub(r"[\s()]", "", value)
    if v.startswith("+86"):
        v = v[3:]
    if not (_MOBILE.match(v) or _LANDLINE.match(v)):
        raise DataError(
            f"{field}: expected a mainland mobile (11 digits) or landline, got {value!r}"
        )
    return v


def normalise_id_number(value: str, *, field: str = "id_number") -> str:
    """Validate an 18-character resident ID number including its GB 11643 check digit."""
    v = value.strip().upper()
    if not _ID.match(v):
        raise DataError(f"{field}: expected an 18-character ID number, got {len(v)} characters")
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

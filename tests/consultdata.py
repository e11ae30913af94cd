"""Made-up residents and the community of the consultation tests (tests/consult, and the
browser test of the voting page)."""

from __future__ import annotations

from dataclasses import dataclass

COMMUNITY = "w595108678"  # 石科院生活区: no canteen within 300 m (348 m in the audit)
NEIGHBOUR = "w594891968"  # 富润家园
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int) -> str:
    """A made-up ID number (Haidian area code, 1960s birth dates) with its GB 11643 check digit."""
    body = f"110108196{serial % 10}0101{serial:03d}"[:17]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class Resident:
    identifier: str
    phone: str
    community: str


RESIDENTS = [
    Resident(id_number(i), f"1391000{i:04d}", COMMUNITY if i < 6 else NEIGHBOUR)
    for i in range(1, 8)
]
"""Residents 1–5 of 石科院生活区, 6–7 of 富润家园 (made up)."""

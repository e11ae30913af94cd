"""Write the demo's facility ledger: the sample rows of tests/data/inputs/ledger_haidian.csv
(HD-001 … HD-010) and illustrative rows HD-101 … for nine communities of the demo area.

The illustrative rows are invented (names and positions): each community listed gets the
facilities of its profile a few metres from where the demo audit's community meets the walking
network, so that the first screen a newcomer sees shows a mix — some communities complete, some
one kind short, some far from it — as a street office with a kept ledger would. See
src/wanzheng/datasets/SOURCE.md. Run from the repository root:

    python scripts/make_demo_ledger.py tests/data/inputs/ledger_haidian.csv \
        src/wanzheng/datasets/haidian_cau_ledger_sample.csv
"""

import csv
import math
import sys
from pathlib import Path

BASE = Path(sys.argv[1])  # the sample rows HD-001 … HD-010
OUT = Path(sys.argv[2])
# community name, origin (WGS-84, the audit's origin of the community), profile
# community name, where it meets the walking network (WGS-84: the point the demo audit snaps the
# community's origin to), what its illustrative ledger lacks
COMMUNITIES = [
    ("石科院生活区", 116.3520726, 39.9977271, "complete"),
    ("未命名住区 #1", 116.3483826, 40.0051324, "complete"),
    ("大华花园别墅", 116.3444875, 40.0063477, "complete"),
    ("中建壹品·学府公馆", 116.3557493, 40.0059392, ["nursery"]),
    ("农大小区-北区", 116.3501989, 40.0085248, ["elderly_station"]),
    ("清华东路27号院", 116.3440818, 39.9997823, ["vegetable_market", "laundry"]),
    ("富润家园", 116.3478735, 39.9995140, ["canteen", "nursery", "elderly_station"]),
    ("双泉堡甲2号院", 116.3596665, 40.0053575, "poor"),
    ("学士居", 116.3596752, 40.0081755, "poor"),
]
KINDS = [  # kind, 类别 as an office writes it, name suffix
    ("service_station", "社区综合服务站", "社区综合服务站"),
    ("kindergarten", "幼儿园", "幼儿园"),
    ("nursery", "托育", "托育点"),
    ("elderly_station", "养老服务驿站", "养老服务驿站"),
    ("health_station", "社区卫生服务站", "社区卫生服务站"),
    ("canteen", "社区食堂", "社区食堂"),
    ("convenience_store", "便利店", "便利店"),
    ("activity_site", "健身场地", "健身场地"),
    ("green", "社区游园", "游园"),
    ("parcel", "快递驿站", "快递驿站"),
    ("waste_point", "垃圾分类收集点", "垃圾分类驿站"),
    ("supermarket", "综合超市", "生鲜超市"),
    ("vegetable_market", "菜市场", "便民菜站"),
    ("barber", "理发店", "理发店"),
    ("laundry", "洗衣店", "洗衣店"),
    ("pharmacy", "药店", "药店"),
]
rows = list(csv.reader(BASE.open(encoding="utf-8")))
n = 100
for name, lon, lat, profile in COMMUNITIES:
    if profile == "poor":
        kinds = [k for k in KINDS if k[0] in ("service_station", "waste_point")]
    elif profile == "complete":
        kinds = KINDS
    else:
        kinds = [k for k in KINDS if k[0] not in profile]
    for i, (_kind, cat, suffix) in enumerate(kinds):
        a = 2 * math.pi * i / len(kinds)
        r = 2.0 + 1.0 * (i % 3)  # metres from that point
        dlon = r * math.cos(a) / (111_320 * math.cos(math.radians(lat)))
        dlat = r * math.sin(a) / 110_540
        n += 1
        row = [f"HD-{n:03d}", f"{name}{suffix}", cat, f"{lon + dlon:.7f}", f"{lat + dlat:.7f}"]
        rows.append([*row, "WGS84"])
with OUT.open("w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
print(len(rows) - 1, "rows")

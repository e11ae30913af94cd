"""Builds the two constructed 12345 export files used by tests/cases/test_transfer.py.

Run: ``.venv/bin/python tests/data/cases/make_workorders.py`` (the outputs are committed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
HEADER = [
    "工单编号",
    "受理时间",
    "诉求内容",
    "诉求类别",
    "经度",
    "纬度",
    "坐标系",
    "地址",
    "联系人",
    "联系电话",
    "承办部门",
    "办理状态",
    "办结时间",
    "满意度",
]

OK = [
    [
        "GD2026090001",
        "2026-09-01 09:15",
        "小区北门路灯不亮",
        "市政设施",
        116.350,
        40.005,
        None,
        None,
        "张三",
        "13800138000",
        None,
        "已关闭",
        "2026-09-02 16:00",
        "满意",
    ],
    [
        "GD2026090002",
        dt.datetime(2026, 9, 2, 10, 0),
        "楼下烧烤油烟扰民",
        None,
        116.360,
        40.005,
        "wgs84",
        None,
        None,
        None,
        None,
        "已关闭",
        dt.datetime(2026, 9, 8, 11, 0),
        "不满意",
    ],
    [
        "GD2026090003",
        "2026-09-03 14:30",
        "电梯经常停运",
        "urban.property",
        None,
        None,
        None,
        "演示街道东区5号楼",
        "李四",
        "13912345678",
        "社区建设办公室",
        "办理中",
        None,
        None,
    ],
    [
        "GD2026090004",
        "2026-09-04 08:00",
        "咨询居住证办理",
        None,
        116.362,
        40.006,
        "gcj02",
        None,
        None,
        None,
        None,
        "已办结",
        "2026-09-04 17:00",
        None,
    ],
    [
        "GD2026090005",
        "2026-09-05 20:00",
        "反映内容与政务无关",
        None,
        116.375,
        40.015,
        None,
        None,
        None,
        None,
        None,
        "不予受理",
        None,
        None,
    ],
]

BAD = [
    OK[0],
    [
        "GD2026090011",
        "2026-09-01 09:15",
        None,
        None,
        116.35,
        40.005,
        None,
        None,
        None,
        None,
        None,
        "已关闭",
        "2026-09-02 16:00",
        None,
    ],  # no text
    [
        "GD2026090012",
        "9月1日上午",
        "路灯坏了",
        None,
        116.35,
        40.005,
        None,
        None,
        None,
        None,
        None,
        "已关闭",
        "2026-09-02 16:00",
        None,
    ],  # bad time
    [
        "GD2026090013",
        "2026-09-01 09:15",
        "路灯坏了",
        "天气",
        116.35,
        40.005,
        None,
        None,
        None,
        None,
        None,
        "已关闭",
        "2026-09-02 16:00",
        None,
    ],  # unknown category
    [
        "GD2026090014",
        "2026-09-01 09:15",
        "路灯坏了",
        None,
        116.35,
        40.005,
        None,
        None,
        None,
        "12345",
        None,
        "已关闭",
        "2026-09-02 16:00",
        None,
    ],  # bad phone
    [
        "GD2026090015",
        "2026-09-01 09:15",
        "路灯坏了",
        None,
        116.35,
        40.005,
        None,
        None,
        None,
        None,
        None,
        "已关闭",
        "2026-08-30 16:00",
        "很好",
    ],  # resolved before submitted
    OK[1],
]


def write(path: Path, rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "工单"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)


if __name__ == "__main__":
    write(HERE / "workorders_ok.xlsx", OK)
    write(HERE / "workorders_bad.xlsx", BAD)

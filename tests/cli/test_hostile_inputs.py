"""Hostile files through the real console script: one clear line and a non-zero status, never a
traceback, whatever the command (``wanzheng audit``, ``cases import``, ``text train`` …)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

WANZHENG = Path(sys.executable).with_name("wanzheng")  # the installed console script

_OSM_LAT_999 = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="999" lon="116.35"/>
 <node id="2" lat="40.0" lon="116.36"><tag k="amenity" v="kindergarten"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>
"""
_ORDERS = (
    "工单编号,受理时间,诉求内容,地址,办理状态\r\nW-1,2026-10-01 09:00,{text},学院路20号,已提交\r\n"
)
_TRAIN = "留言主题,留言详情,一级标签\r\n" + "".join(
    f"路灯不亮{i},小区北门路灯坏了,城乡建设\r\n噪音扰民{i},夜间施工太吵,环境保护\r\n"
    for i in range(6)
)


def _bomb(path: Path) -> Path:
    chunk = b"<row><c><v>0</v></c></row>" * 40_000  # about 1 MiB
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(32):
                sheet.write(chunk)
    return path


def _write(name: str, data: str | bytes, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return path

    return make


def _model_with_pickle(tmp: Path) -> Path:
    import hashlib
    import json

    model = tmp / "model"
    model.mkdir()
    arrays = model / "model.npz"
    arrays.write_bytes(b"\x80\x04K\x01.")  # a pickle, not an npz
    manifest = {
        "format": "wanzheng-text-classifier",
        "format_version": 2,
        "versions": {},
        "labels": ["城乡建设", "环境保护"],
        "arrays": {"file": "model.npz", "sha256": hashlib.sha256(arrays.read_bytes()).hexdigest()},
    }
    (model / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return model


# (name, make the hostile file, arguments ({file}, {db}, {tmp}), expected status, words in stderr)
CASES: list[tuple[str, Callable[[Path], Path], list[str], int, str]] = [
    (
        "audit-osm-lat-999",
        _write("bad.osm", _OSM_LAT_999),
        ["audit", "{file}", "--out", "{tmp}/out"],
        2,
        "lat must be a number in [-90, 90]",
    ),
    (
        "cases-import-gbk",
        _write("orders.csv", _ORDERS.format(text="小区北门路灯不亮"), "gbk"),
        ["cases", "import", "{file}", "--database", "{db}"],
        0,
        "",
    ),
    (
        "cases-import-huge-cell",
        _write("orders.csv", _ORDERS.format(text="灯" * 70_000), "gbk"),
        ["cases", "import", "{file}", "--database", "{db}"],
        2,
        "row 2: column '诉求内容': the cell holds 210,000 bytes",
    ),
    (
        "cases-import-zip-bomb",
        lambda tmp: _bomb(tmp / "orders.xlsx"),
        ["cases", "import", "{file}", "--database", "{db}"],
        2,
        "zip bomb",
    ),
    (
        "cases-import-missing-columns",
        _write("orders.csv", "标题,内容\r\n路灯,不亮\r\n", "gbk"),
        ["cases", "import", "{file}", "--database", "{db}"],
        2,
        "missing column(s) '工单编号', '受理时间', '诉求内容'",
    ),
    (
        "text-train-gbk-wrong-column",
        _write("train.csv", _TRAIN, "gbk"),
        [
            "text",
            "train",
            "--data",
            "{file}",
            "--text-columns",
            "标题",
            "--label-column",
            "一级标签",
            "--out",
            "{tmp}/m",
        ],
        2,
        "(read as gb18030)",
    ),
    (
        "text-train-broken-xlsx",
        _write("train.xlsx", b"PK\x03\x04 broken"),
        [
            "text",
            "train",
            "--data",
            "{file}",
            "--text-columns",
            "留言主题",
            "--label-column",
            "一级标签",
            "--out",
            "{tmp}/m",
        ],
        2,
        "not a readable XLSX workbook",
    ),
    (
        "text-predict-pickled-model",
        _model_with_pickle,
        [
            "text",
            "predict",
            "--model",
            "{file}",
            "--data",
            "{file}/none.csv",
            "--text-columns",
            "a",
            "--out",
            "{tmp}/p.csv",
        ],
        2,
        "retrain",
    ),
    (
        "register-zip-bomb",
        lambda tmp: _bomb(tmp / "register.xlsx"),
        ["proactive", "import-register", "{file}", "--database", "{db}"],
        2,
        "zip bomb",
    ),
    (
        "events-bad-time",
        _write("events.csv", "编号,类型,开始时间\r\nE1,heat_wave,明天\r\n", "gbk"),
        ["proactive", "run", "--dry-run", "--events", "{file}", "--database", "{db}"],
        2,
        "row 2: column 'starts_at'",
    ),
]


@pytest.mark.parametrize(
    ("make", "args", "status", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_hostile_file_is_one_clear_line(
    tmp_path: Path,
    make: Callable[[Path], Path],
    args: list[str],
    status: int,
    words: str,
) -> None:
    assert WANZHENG.is_file(), f"console script missing: {WANZHENG}"
    path = make(tmp_path)
    db = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    argv = [a.format(file=path, db=db, tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [str(WANZHENG), *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("WANZHENG_")},
            "WANZHENG_DATA_DIR": str(tmp_path),
        },
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == status, proc.stdout + proc.stderr
    if status != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert lines and lines[-1].startswith("error: "), proc.stderr
        assert words in proc.stderr.replace("\n", ""), proc.stderr

"""The one table reader: limits on files, cells and rows, and XLSX zip bombs refused unopened."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from wanzheng.data.tabular import (
    DEFAULT_LIMITS,
    Limits,
    check_xlsx_archive,
    read_json,
    read_table,
)
from wanzheng.errors import DataError
from wanzheng.settings import Settings

ALIASES = {"name": ("名称",), "text": ("内容", "诉求内容")}


def test_default_limits_are_the_settings_defaults() -> None:
    assert Limits.from_settings(Settings()) == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.max_cell_bytes == 128 * 1024


def test_a_cell_over_the_limit_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    big = "灯" * 70_000  # 70,000 characters, 210,000 bytes of UTF-8: over 128 KiB
    path.write_text(f"名称,内容\n甲,短\n乙,{big}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table(path, aliases=ALIASES)
    assert str(err.value).startswith(f"{path}: row 3: column '内容': the cell holds 210,000 bytes")
    assert "WANZHENG_INPUT_MAX_CELL_BYTES" in str(err.value)
    # the limit is a setting: raised, the same file reads
    table = read_table(path, aliases=ALIASES, limits=Limits(max_cell_bytes=300_000))
    assert len(table.frame.loc[1, "text"]) == 70_000


def test_a_huge_xlsx_cell_is_refused_too(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "内容"])
    ws.append(["甲", "CELL"])
    wb.save(tmp_path / "made.xlsx")
    # openpyxl writes at most Excel's 32,767 characters; a crafted file can hold more
    with (
        zipfile.ZipFile(tmp_path / "made.xlsx") as src,
        zipfile.ZipFile(tmp_path / "t.xlsx", "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b">CELL<" in data
                data = data.replace(b">CELL<", b">" + b"x" * 200_000 + b"<")
            dst.writestr(info.filename, data)
    with pytest.raises(DataError, match=r"row 2: column '内容': the cell holds 200,000 bytes"):
        read_table(tmp_path / "t.xlsx", aliases=ALIASES)


def test_row_and_file_limits(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("名称\n" + "".join(f"n{i}\n" for i in range(10)), encoding="utf-8")
    assert len(read_table(path, aliases=ALIASES).frame) == 10
    with pytest.raises(DataError, match=r"more than 5 rows \(setting WANZHENG_INPUT_MAX_ROWS\)"):
        read_table(path, aliases=ALIASES, limits=Limits(max_rows=5))
    size = path.stat().st_size
    with pytest.raises(DataError, match=f"the file has {size} bytes; the limit is 20 "):
        read_table(path, aliases=ALIASES, limits=Limits(max_file_bytes=20))


def test_missing_columns_name_the_encoding_assumed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("标题,说明\n路灯,不亮\n".encode("gbk"))
    table = read_table(path, aliases=ALIASES)
    with pytest.raises(DataError, match=r"missing column\(s\) 'name'.*read as gb18030.*'标题'"):
        table.require("name")


def _bomb(path: Path, *, inflated_mib: int) -> Path:
    """An XLSX-shaped zip whose sheet inflates to ``inflated_mib`` MiB of repeated XML."""
    chunk = b"<row><c><v>0</v></c></row>" * 40_000  # about 1 MiB
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(inflated_mib):
                sheet.write(chunk)
    return path


def test_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", inflated_mib=64)
    assert path.stat().st_size < 1_000_000  # small on disk, 64 MiB inflated
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as err:
            read_table(path, aliases=ALIASES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert "refused as a possible zip bomb: member 'xl/worksheets/sheet1.xml' inflates" in message
    assert "WANZHENG_INPUT_XLSX_MAX_RATIO" in message
    assert peak < 2_000_000  # the sheet was never inflated


def test_declared_total_size_is_bounded(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["名称", "内容"])
    for i in range(200):
        ws.append([f"n{i}", f"内容 {i}"])
    wb.save(tmp_path / "ok.xlsx")
    check_xlsx_archive(tmp_path / "ok.xlsx")  # an ordinary workbook passes
    assert len(read_table(tmp_path / "ok.xlsx", aliases=ALIASES).frame) == 200
    with pytest.raises(DataError, match=r"inflates to .* bytes; the limit is 1,000 "):
        read_table(
            tmp_path / "ok.xlsx",
            aliases=ALIASES,
            limits=Limits(xlsx_max_uncompressed_bytes=1_000),
        )


def test_a_broken_archive_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a readable XLSX workbook"):
        read_table(tmp_path / "x.xlsx", aliases=ALIASES)


def test_a_json_file_is_decoded_and_its_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    path.write_bytes('{"name": "东升社区"}'.encode("gb18030"))  # a GBK file, as offices send
    assert read_json(path, kind="GeoJSON") == {"name": "东升社区"}
    path.write_text('{\n  "type": "FeatureCollection",\n  "features": [,]\n}', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_json(path, kind="GeoJSON")
    assert str(err.value).startswith(f"{path}: not a readable GeoJSON file (")
    assert str(err.value).endswith("line 3)")
    with pytest.raises(DataError, match=r"nowhere\.json: file not found"):
        read_json(tmp_path / "nowhere.json")

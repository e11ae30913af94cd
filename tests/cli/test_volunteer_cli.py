"""``wanzheng volunteer``: a registration file imported all-or-nothing (a bad row named with
its field), the masked list, the units' report as XLSX (text cells safe) and HTML."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from wanzheng.cli import app

HEADER = "姓名,手机号,类别,社区,网格,工作单位,技能,服务时间\n"
GOOD = [
    "张建国,13800000001,在职党员,west,west-1,海淀区某研究院,助老帮扶、走访探视,周三 08:00-12:00\n",
    '李红梅,138 0000 0002,在职党员,east,east-1,=HYPERLINK("http://x"),visit,周六 09:00-17:00\n',
    "王志愿,13800000003,志愿者,west,west-2,,楼道清理,\n",
]


def test_import_list_and_report(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'wz.sqlite3'}"
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + GOOD[0] + "赵六,13800000004,在职党员,east,west-1,某单位,,\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["volunteer", "import", str(bad), "--database", db])
    assert r.exit_code != 0
    assert "row 3" in str(r.exception) and "grid" in str(r.exception)

    good = tmp_path / "good.csv"
    good.write_text(HEADER + "".join(GOOD), encoding="utf-8")
    r = runner.invoke(
        app, ["volunteer", "import", str(good), "--database", db, "--at", "2026-09-01T09:00"]
    )
    assert r.exit_code == 0, r.output
    assert "registered 3 volunteers" in r.output  # the bad file wrote nothing: no conflict

    r = runner.invoke(app, ["volunteer", "list", "--database", db])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].split("\t")[:4] == ["1", "在职党员", "张**", "138****0001"]
    assert "13800000002" not in r.output and "李红梅" not in r.output
    assert lines[0].split("\t")[6] == "助老帮扶、走访探视"

    out = tmp_path / "out"
    r = runner.invoke(
        app, ["volunteer", "report", "--quarter", "2026Q3", "--out", str(out), "--database", db]
    )
    assert r.exit_code == 0, r.output
    assert re.search(r"2 units, 2 members, 0.00 hours", r.output)
    wb = openpyxl.load_workbook(out / "units-2026Q3.xlsx")
    summary = [[c.value for c in row] for row in wb["汇总"].iter_rows(min_row=3)]
    # the formula-shaped unit is text (neutralised), never a formula
    assert sorted(row[0] for row in summary) == ['\'=HYPERLINK("http://x")', "海淀区某研究院"]
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    html = (out / "units-2026Q3.html").read_text(encoding="utf-8")
    assert "张建国" in html and "13800000001" not in html and "&#34;http://x&#34;" in html

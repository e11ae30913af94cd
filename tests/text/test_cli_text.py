"""`wanzheng text train | predict | evaluate` through the CLI runner, and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from wanzheng.cli import app
from wanzheng.errors import DataError
from wanzheng.text.io import read_cases

runner = CliRunner()
COLS = ["--text-columns", "留言主题,留言详情"]


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory, messages: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("cli") / "history.csv"
    frame = messages.iloc[:300].copy()
    frame.loc[frame.index[:5], "一级标签"] = ""  # five unlabelled rows
    frame.loc[frame.index[5], "一级标签"] = " 城乡 建设 "  # whitespace variant
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def test_train_predict_evaluate(small_csv: Path, messages: pd.DataFrame, tmp_path: Path) -> None:
    model = tmp_path / "model"
    r = runner.invoke(
        app,
        [
            "text",
            "train",
            "--data",
            str(small_csv),
            *COLS,
            "--label-column",
            "一级标签",
            "--out",
            str(model),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "trained on 295 cases (5 skipped" in r.output
    new = tmp_path / "new.xlsx"
    messages.iloc[300:340].drop(columns=["一级标签"]).to_excel(new, index=False)
    out = tmp_path / "pred.csv"
    r = runner.invoke(
        app,
        ["text", "predict", "--model", str(model), "--data", str(new), *COLS, "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    pred = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert len(pred) == 40
    assert list(pred.columns[:3]) == ["留言编号", "留言主题", "留言详情"]
    for col in ["predicted", "confidence", "alternative_1", "alternative_3_confidence"]:
        assert col in pred.columns
    truth = messages.iloc[300:340]["一级标签"].tolist()
    assert sum(p == t for p, t in zip(pred["predicted"], truth, strict=True)) >= 34
    r = runner.invoke(
        app,
        [
            "text",
            "evaluate",
            "--data",
            str(small_csv),
            *COLS,
            "--label-column",
            "一级标签",
            "--model",
            str(model),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "macro-F1" in r.output and "confusion" in r.output
    r = runner.invoke(
        app,
        [
            "text",
            "evaluate",
            "--data",
            str(small_csv),
            *COLS,
            "--label-column",
            "一级标签",
            "--folds",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "5 rows skipped" in r.output


def test_gbk_csv_is_detected(messages: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    messages.iloc[:20].to_csv(path, index=False, encoding="gbk")
    table = read_cases(path, text_columns=["留言主题", "留言详情"], label_column="一级标签")
    assert table.encoding == "gb18030"
    assert table.labels == tuple(messages.iloc[:20]["一级标签"])
    # An explicit wrong encoding is a clear error, not a crash.
    with pytest.raises(DataError, match="cannot decode the file as utf-8"):
        read_cases(path, text_columns=["留言主题"], encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ("留言主题,留言详情,一级标签\n".encode(), "no data rows"),
        ("标题,内容\n路灯坏了,没人修\n".encode(), "'留言主题'"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    r = runner.invoke(
        app,
        [
            "text",
            "train",
            "--data",
            str(path),
            *COLS,
            "--label-column",
            "一级标签",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert r.exit_code != 0
    assert isinstance(r.exception, DataError)
    assert message in str(r.exception)


def test_single_class_and_unknown_labels(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    pd.DataFrame(
        {"留言主题": ["路灯坏了", "井盖丢了"], "留言详情": ["a", "b"], "一级标签": ["城乡建设"] * 2}
    ).to_csv(path, index=False)
    r = runner.invoke(
        app,
        [
            "text",
            "train",
            "--data",
            str(path),
            *COLS,
            "--label-column",
            "一级标签",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert isinstance(r.exception, DataError) and "two classes" in str(r.exception)
    pd.DataFrame(
        {
            "留言主题": ["路灯坏了", "欠薪"],
            "留言详情": ["a", "b"],
            "一级标签": ["城乡建设", "路灯组"],
        }
    ).to_csv(path, index=False)
    args = ["text", "train", "--data", str(path), *COLS, "--label-column", "一级标签"]
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "m")])
    assert isinstance(r.exception, DataError)
    assert "'路灯组' (first in row 3)" in str(r.exception)
    # An office with its own label set says so.
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "m"), "--any-labels"])
    assert r.exit_code == 0, r.output


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_cases(tmp_path / "nope.csv", text_columns=["a"])
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match=r"expected \.csv or \.xlsx"):
        read_cases(tmp_path / "x.json", text_columns=["a"])
    (tmp_path / "broken.xlsx").write_bytes(b"PK not really")
    with pytest.raises(DataError, match="XLSX"):
        read_cases(tmp_path / "broken.xlsx", text_columns=["a"])


def test_predict_long_and_empty_texts(small_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    args = ["text", "train", "--data", str(small_csv), *COLS, "--label-column", "一级标签"]
    assert runner.invoke(app, [*args, "--out", str(model)]).exit_code == 0
    new = tmp_path / "new.csv"
    long = "拖欠工资" + "啊" * 40_000  # long, yet under the 128 KiB cell limit
    # (a row with no cell at all is skipped by the reader; this one has its number)
    pd.DataFrame({"编号": ["1", "2"], "留言主题": ["", "欠薪"], "留言详情": ["", long]}).to_csv(
        new, index=False
    )
    out = tmp_path / "pred.csv"
    args = ["text", "predict", "--model", str(model), "--data", str(new), *COLS]
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    pred = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert pred["predicted"].tolist() == ["", "劳动和社会保障"]
    assert pred["confidence"].tolist()[0] == "0.0"

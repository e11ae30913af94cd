"""``wanzheng cases import`` proposes categories with the trained model when one is configured."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from wanzheng.cases.store import Case, make_engine, make_sessionmaker
from wanzheng.cli import app
from wanzheng.text import save_classifier, train_classifier

# No keyword of the category tree occurs in these texts: only a model can place them.
TRAIN = [
    ("楼上每天半夜跺脚拖椅子，根本睡不着", "environment.pollution"),
    ("隔壁半夜唱歌声音太大，孩子睡不着", "environment.pollution"),
    ("楼下商铺音响半夜还在响，吵得睡不着", "environment.pollution"),
    ("小吃店的凉菜吃了拉肚子，怀疑不干净", "health.public_health"),
    ("早餐摊的包子馅发酸，吃完肚子疼", "health.public_health"),
    ("外卖的盒饭有头发，吃了以后肚子不舒服", "health.public_health"),
]
NEW = "楼上邻居半夜拖椅子跺脚，吵得全家睡不着"


def _orders(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["工单编号", "受理时间", "诉求内容", "诉求类别", "地址", "办理状态"])
        w.writerow(["GD1", "2026-09-01 09:15", NEW, "", "演示街道东区5号楼", "已提交"])
        w.writerow(
            ["GD2", "2026-09-01 09:20", NEW, "urban.property", "演示街道东区5号楼", "已提交"]
        )
    return path


def _imported(url: str) -> dict[str, tuple[str, str | None, str]]:
    engine = make_engine(url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        out = {
            c.idempotency_key or "": (c.category_key, c.proposed_category, c.category_source)
            for c in s.scalars(select(Case)).all()
        }
    engine.dispose()
    return out


@pytest.mark.parametrize("with_model", [True, False])
def test_import_uses_the_configured_model(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_model: bool
) -> None:
    if with_model:
        texts, labels = zip(*TRAIN, strict=True)
        model = train_classifier(list(texts), list(labels))
        save_classifier(model, tmp_path / "model", label_tree="custom")
        monkeypatch.setenv("WANZHENG_TEXT_MODEL_DIR", str(tmp_path / "model"))
    else:
        monkeypatch.delenv("WANZHENG_TEXT_MODEL_DIR", raising=False)
    r = CliRunner().invoke(
        app, ["cases", "import", str(_orders(tmp_path / "o.csv")), "--database", database_url]
    )
    assert r.exit_code == 0, r.output
    got = _imported(database_url)
    if with_model:
        assert got["import:GD1"] == ("environment.pollution", "environment.pollution", "proposed")
        # The file's own category wins; the model's proposal is still recorded.
        assert got["import:GD2"] == ("urban.property", "environment.pollution", "imported")
    else:  # the keyword rules find nothing in this text
        assert got["import:GD1"] == ("other.general", None, "default")
        assert got["import:GD2"] == ("urban.property", None, "imported")

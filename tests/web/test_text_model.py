"""The trained classifier in the service: proposals on intake, and the training loop
(cases exported with their confirmed category are what the next ``wanzheng text train`` reads)."""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from wanzheng.cases.categories import KeywordClassifier, build_classifier, load_categories
from wanzheng.cases.store import make_engine
from wanzheng.cli import app as cli_app
from wanzheng.errors import ConfigError
from wanzheng.settings import Settings
from wanzheng.text import save_classifier, train_classifier
from wanzheng.text.service import CategoryProposer
from wanzheng.web import create_app

# Texts with no keyword of the category tree, so only a trained model can propose a category.
NOISE = [
    "楼上每天半夜跺脚拖椅子，根本睡不着",
    "隔壁半夜唱歌声音太大，孩子睡不着",
    "楼下商铺音响半夜还在响，吵得睡不着",
]
FOOD = [
    "小吃店的凉菜吃了拉肚子，怀疑不干净",
    "早餐摊的包子馅发酸，吃完肚子疼",
    "外卖的盒饭有头发，吃了以后肚子不舒服",
]
TRAIN = [(t, "environment.pollution") for t in NOISE] + [(t, "health.public_health") for t in FOOD]


def _train(model_dir: Path) -> None:
    texts, labels = zip(*TRAIN, strict=True)
    save_classifier(train_classifier(list(texts), list(labels)), model_dir, label_tree="custom")


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    _train(tmp_path / "model")
    return tmp_path / "model"


def test_build_classifier_choices(model_dir: Path, tmp_path: Path) -> None:
    tree = load_categories()
    assert isinstance(build_classifier(Settings(data_dir=tmp_path), tree), KeywordClassifier)
    proposer = build_classifier(Settings(data_dir=tmp_path, text_model_dir=model_dir), tree)
    assert isinstance(proposer, CategoryProposer)
    assert proposer.min_confidence == 0.5
    # Below the floor, the keyword rules of the tree answer (路灯 → urban.municipal, 1.0).
    strict = build_classifier(
        Settings(data_dir=tmp_path, text_model_dir=model_dir, text_min_confidence=1.0), tree
    )
    assert strict.propose_category("路灯不亮") == ("urban.municipal", 1.0)


def test_unloadable_model_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, text_model_dir=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match=r"WANZHENG_TEXT_MODEL_DIR=.*nowhere.*no manifest"):
        create_app(settings)
    # A model whose labels are not the desk's category keys or names is refused too.
    texts, labels = (
        ["半夜唱歌很吵", "楼上跺脚很吵", "包子发酸", "盒饭有头发"],
        ["吵", "吵", "吃", "吃"],
    )
    save_classifier(train_classifier(texts, labels), tmp_path / "alien", label_tree="custom")
    settings = Settings(data_dir=tmp_path, text_model_dir=tmp_path / "alien")
    with pytest.raises(ConfigError, match="unknown"):
        create_app(settings)


@pytest.fixture
def client(database_url: str, tmp_path: Path, model_dir: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        text_model_dir=model_dir,
        escalation_interval_s=0,
    )
    engine = make_engine(database_url, pool_size=2)
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c
    engine.dispose()


def test_intake_proposes_with_the_model_and_export_feeds_training(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    r = client.post(
        "/api/cases",
        json={"text": "楼上邻居半夜拖椅子跺脚，吵得全家睡不着", "lon": 116.350, "lat": 40.005},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["proposed_category"] == "environment.pollution"
    assert body["category"] == "environment.pollution"
    assert 0.5 <= body["proposed_confidence"] < 1.0  # a model's probability, not a keyword 1.0
    r = client.post(
        "/api/cases",
        json={"text": "饭馆的凉菜吃了肚子疼，怀疑不干净", "lon": 116.350, "lat": 40.005},
    )
    assert r.json()["proposed_category"] == "health.public_health"

    # The loop: export the cases with their category on record, train the next model on them.
    runner = CliRunner()
    export = tmp_path / "cases.csv"
    res = runner.invoke(
        cli_app, ["cases", "export", "--out", str(export), "--database", database_url]
    )
    assert res.exit_code == 0, res.output
    with export.open(encoding="utf-8-sig") as fh:
        rows = {(r["诉求内容"], r["诉求类别"]) for r in csv.DictReader(fh)}
    assert ("楼上邻居半夜拖椅子跺脚，吵得全家睡不着", "environment.pollution") in rows
    assert ("饭馆的凉菜吃了肚子疼，怀疑不干净", "health.public_health") in rows
    res = runner.invoke(
        cli_app,
        [
            "text",
            "train",
            "--data",
            str(export),
            "--text-columns",
            "诉求内容",
            "--label-column",
            "诉求类别",
            "--any-labels",
            "--out",
            str(tmp_path / "next"),
        ],
    )
    assert res.exit_code == 0, res.output
    nxt = build_classifier(
        Settings(data_dir=tmp_path, text_model_dir=tmp_path / "next"), load_categories()
    )
    assert isinstance(nxt, CategoryProposer)
    assert set(nxt.label_to_key.values()) >= {"environment.pollution", "health.public_health"}

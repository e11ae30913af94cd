"""The case-desk seam: a trained model or keyword rules proposing category keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from wanzheng.errors import ConfigError
from wanzheng.text import KeywordClassifier, save_classifier, train_classifier
from wanzheng.text.service import CategoryProposer, label_map, load_proposer

LEAVES = [("urban.property", "物业与住房"), ("labour.employment", "就业与社保")]


def test_trained_model_on_leaf_keys(tmp_path: Path) -> None:
    texts = [
        "物业乱收费\n物业费上涨",
        "电梯坏了\n物业不修电梯",
        "欠薪\n拖欠工资",
        "社保断缴\n公司不交社保",
    ]
    labels = ["urban.property", "urban.property", "labour.employment", "labour.employment"]
    save_classifier(train_classifier(texts, labels), tmp_path / "m", label_tree="custom")
    proposer = load_proposer(tmp_path / "m", LEAVES)
    key, conf = proposer.propose_category("物业又乱收费了") or ("", 0.0)
    assert key == "urban.property" and 0.5 < conf <= 1.0
    # A confidence floor turns unsure proposals into none.
    strict = load_proposer(tmp_path / "m", LEAVES, min_confidence=1.01)
    assert strict.propose_category("物业又乱收费了") is None
    # A model whose labels the desk does not know is refused.
    with pytest.raises(ConfigError, match="unknown"):
        load_proposer(tmp_path / "m", LEAVES[:1])


def test_keyword_rules_with_fallback() -> None:
    rules = KeywordClassifier.from_rules({"物业与住房": ["物业", "电梯"], "其他": ["天气"]})
    proposer = CategoryProposer(rules, label_map(LEAVES))
    assert proposer.propose_category("电梯坏了") == ("urban.property", 1.0)
    assert proposer.propose_category("今天天气") is None  # label without a key
    assert proposer.propose_category("没有关键词") is None
    chained = CategoryProposer(
        KeywordClassifier.from_rules({"其他": ["天气"]}), {}, fallback=proposer
    )
    assert chained.propose_category("物业") == ("urban.property", 1.0)


def test_case_desk_tree_and_fallback(tmp_path: Path) -> None:
    from wanzheng.cases.categories import KeywordClassifier as DeskKeywords
    from wanzheng.cases.categories import load_categories

    tree = load_categories()
    leaves = [(c.key, c.name) for c in tree.leaves()]
    texts = ["路灯坏了\n路灯不亮", "井盖丢失\n井盖没了", "物业乱收费\n物业差", "电梯坏了\n物业不修"]
    labels = ["市政设施", "市政设施", "物业与住房", "物业与住房"]  # leaf names work as labels
    save_classifier(train_classifier(texts, labels), tmp_path / "m", label_tree="custom")
    proposer = load_proposer(
        tmp_path / "m", leaves, min_confidence=0.99, fallback=DeskKeywords.from_tree(tree)
    )
    # Unsure model → the desk's keyword rules answer with a leaf key.
    proposal = proposer.propose_category("小区噪音扰民，油烟很大")
    assert proposal is not None and proposal[0] in {k for k, _ in leaves}

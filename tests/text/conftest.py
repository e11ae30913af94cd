"""Fixtures of the text tests: the constructed labelled material in tests/data/text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wanzheng.text import TextClassifier, join_fields, train_classifier

TEXT_DATA = Path(__file__).resolve().parent.parent / "data" / "text"


@pytest.fixture(scope="session")
def text_data() -> Path:
    """Folder of the constructed messages (see bench/text_material.py)."""
    return TEXT_DATA


@pytest.fixture(scope="session")
def messages() -> pd.DataFrame:
    """1,400 constructed messages: 留言编号, 留言主题, 留言详情, 一级标签 (7 classes)."""
    return pd.read_csv(TEXT_DATA / "messages.csv", dtype=str)


@pytest.fixture(scope="session")
def small_model(messages: pd.DataFrame) -> TextClassifier:
    """A model trained on the first 500 messages."""
    head = messages.iloc[:500]
    texts = [join_fields([t, d]) for t, d in zip(head["留言主题"], head["留言详情"], strict=True)]
    return train_classifier(texts, head["一级标签"].tolist())


@pytest.fixture(scope="session")
def hard_train() -> pd.DataFrame:
    """1,200 messages of the hard material (bench/text_hard.py, seed 101, fragment half 0)."""
    return pd.read_csv(TEXT_DATA / "hard_train.csv", dtype=str)


@pytest.fixture(scope="session")
def hard_test() -> pd.DataFrame:
    """600 messages of the hard material (seed 1101), a third of them in unseen phrasings."""
    return pd.read_csv(TEXT_DATA / "hard_test.csv", dtype=str)

"""Text features for case classification: hashed character n-grams and title words, TF-IDF.

A case is one string, ``"<title>\\n<detail>"`` (see :func:`join_fields`). Three blocks of
features are built from it and concatenated, each block L2-normalised and weighted:

``body``
    character n-grams (default 1–3) of title and detail together;
``title``
    character n-grams (default 1–3) of the title alone, so that the title, which names the
    problem in few words, is not drowned by a long detail;
``words`` (optional, off in the default candidates)
    jieba word unigrams and bigrams of the title. jieba is too slow for whole details at the
    required prediction rate (about 300,000 characters per second on one core), and on titles
    it cost a third of the prediction rate for no gain on the constructed material.

Each n-gram is hashed (64-bit polynomial hash, mixed, low ``n_bits`` bits) instead of being
looked up in a vocabulary: the character n-grams of a whole batch are computed at once with
numpy (prediction runs 2–3× faster than scikit-learn's ``TfidfVectorizer`` char analyser in
``bench/text_bench.py``), and the model stores no vocabulary. Buckets seen in fewer than
``min_df`` training cases are dropped and at most ``max_features`` (default 400,000) of the
most frequent are kept per block, which bounds the model size (15 classes × 400,000 × 4 bytes
≈ 24 MB before compression). The weight of a bucket is ``(1 + ln tf) · idf`` with the smoothed
``idf = ln((1 + n) / (1 + df)) + 1``, as in scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``.

Texts are normalised (Unicode NFKC: full-width letters and digits become ASCII; whitespace runs
become one space; upper case becomes lower case) and truncated to ``max_chars`` characters
(default 3,000) before features are taken: a 100,000-character paste is classified by its start.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = [
    "FeatureConfig",
    "TextFeatures",
    "join_fields",
    "normalise",
    "prepare",
    "split_title",
]

_SPACES = str.maketrans({c: " " for c in "\t\r\n\v\f\u3000\xa0"})


def normalise(text: object) -> str:
    """One field as clean text: NFKC, lower case, whitespace runs collapsed; None/NaN → ``""``."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_SPACES).lower()
    return " ".join(s.split())


def join_fields(fields: Sequence[object]) -> str:
    """Join a case's fields (title first) into the one string the classifier reads.

    The first field is the title; the rest are joined with a space. A newline separates the
    title from the rest, which is how :func:`split_title` finds it again.
    """
    if not fields:
        return ""
    title = normalise(fields[0])
    rest = " ".join(s for s in (normalise(f) for f in fields[1:]) if s)
    return f"{title}\n{rest}" if rest else title


def split_title(text: str, *, title_chars: int = 100) -> tuple[str, str]:
    """Title (the first line, at most ``title_chars`` characters) and the whole normalised text."""
    first, _, rest = text.partition("\n")
    title = normalise(first)[:title_chars]
    body = normalise(text if not rest else f"{first} {rest}")
    return title, body


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How features are taken; stored in the model manifest."""

    body_ngrams: tuple[int, int] = (1, 3)
    title_ngrams: tuple[int, int] = (1, 3)
    title_words: bool = False
    title_weight: float = 0.5
    words_weight: float = 0.3
    n_bits: int = 20
    min_df: int = 2
    max_features: int = 400_000
    max_chars: int = 3000
    title_chars: int = 100


# --- hashing ---------------------------------------------------------------------------------

_P = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64 finaliser: spreads the polynomial hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    return h ^ (h >> np.uint64(31))


def _char_ngram_buckets(
    texts: Sequence[str], lo: int, hi: int, *, seed: int, n_bits: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(document index, bucket) of every character n-gram, ``lo <= n <= hi``, of every text."""
    if not texts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # One array of code points with a separator (0) after each text.
    joined = "\0".join(texts) + "\0"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths + 1)
    doc[codes == 0] = -1
    n_pos = codes.shape[0]
    docs_out: list[NDArray[np.int64]] = []
    buckets_out: list[NDArray[np.int64]] = []
    mask = np.uint64((1 << n_bits) - 1)
    h = np.full(n_pos, np.uint64(seed), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, hi + 1):
            m = n_pos - n + 1
            if m <= 0:
                break
            h = h[:m] * _P + codes[n - 1 : n - 1 + m]
            if n < lo:
                continue
            valid = (doc[:m] >= 0) & (doc[:m] == doc[n - 1 : n - 1 + m])
            hv = _mix(h[valid] + np.uint64(n))
            docs_out.append(doc[:m][valid])
            buckets_out.append((hv & mask).astype(np.int64))
    return np.concatenate(docs_out), np.concatenate(buckets_out)


_jieba_ready = False


@functools.lru_cache(maxsize=65536)
def _jieba_cut(text: str) -> tuple[str, ...]:
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        logging.getLogger("jieba").setLevel(logging.WARNING)
        jieba.initialize()
        _jieba_ready = True
    return tuple(w for w in jieba.lcut(text, HMM=True) if w.strip())


def _word_ngram_buckets(
    texts: Sequence[str], *, seed: int, n_bits: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(document index, bucket) of every jieba word and word bigram of every text."""
    from sklearn.utils import murmurhash3_32

    docs: list[int] = []
    buckets: list[int] = []
    mask = (1 << n_bits) - 1
    for i, text in enumerate(texts):
        words = _jieba_cut(text)
        grams = list(words) + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        for g in grams:
            docs.append(i)
            buckets.append(int(murmurhash3_32(g, seed=seed, positive=True)) & mask)
    return np.asarray(docs, dtype=np.int64), np.asarray(buckets, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Block:
    """One fitted block: which buckets are kept, their idf, and the block's weight."""

    name: str
    active: NDArray[np.int64]  # sorted bucket numbers kept
    idf: NDArray[np.float32]
    weight: float
    _lookup: dict[str, NDArray[np.int32]] = field(default_factory=dict, compare=False, repr=False)

    def lookup(self, n_bits: int) -> NDArray[np.int32]:
        """Bucket → column (−1 when dropped); built once per process, not stored."""
        table = self._lookup.get("t")
        if table is None:
            table = np.full(1 << n_bits, -1, dtype=np.int32)
            table[self.active] = np.arange(self.active.shape[0], dtype=np.int32)
            self._lookup["t"] = table
        return table


def _tf_matrix(
    doc: NDArray[np.int64], col: NDArray[np.int64], n_docs: int, n_cols: int
) -> sp.csr_matrix:
    """Counts of each (document, column) pair as a CSR matrix (one sort, no duplicates)."""
    key, counts = np.unique(doc * np.int64(n_cols) + col, return_counts=True)
    rows = key // n_cols
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
    return sp.csr_matrix(
        (counts.astype(np.float32), (key % n_cols).astype(np.int32), indptr),
        shape=(n_docs, n_cols),
    )


def _finish(m: sp.csr_matrix, idf: NDArray[np.float32], weight: float) -> sp.csr_matrix:
    """Sublinear tf × idf, rows L2-normalised, times the block weight (in place)."""
    data = (1.0 + np.log(m.data.astype(np.float64))) * idf[m.indices]
    lengths = np.diff(m.indptr)
    rows = np.repeat(np.arange(m.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=m.shape[0]))
    norms[norms == 0] = 1.0
    m.data = (data * (weight / norms)[rows]).astype(np.float32)
    return m


def prepare(texts: Sequence[str], config: FeatureConfig) -> tuple[list[str], list[str]]:
    """Titles and truncated bodies of ``texts`` (reusable across configurations that share
    ``title_chars`` and ``max_chars``)."""
    titles: list[str] = []
    bodies: list[str] = []
    for t in texts:
        title, body = split_title(t, title_chars=config.title_chars)
        titles.append(title)
        bodies.append(body[: config.max_chars])
    return titles, bodies


class TextFeatures:
    """The fitted feature map: texts (``"title\\ndetail"``) → sparse TF-IDF rows.

    Build it with :meth:`fit`; it holds numpy arrays only (no vocabulary, no callables).
    """

    def __init__(self, config: FeatureConfig, blocks: tuple[_Block, ...]) -> None:
        self.config = config
        self.blocks = blocks

    @property
    def n_features(self) -> int:
        """Number of columns of :meth:`transform`'s output."""
        return int(sum(b.active.shape[0] for b in self.blocks))

    def _buckets(
        self, prepared: tuple[list[str], list[str]]
    ) -> dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]]:
        c = self.config
        titles, bodies = prepared
        out = {"body": _char_ngram_buckets(bodies, *c.body_ngrams, seed=11, n_bits=c.n_bits)}
        if c.title_weight > 0:
            out["title"] = _char_ngram_buckets(titles, *c.title_ngrams, seed=23, n_bits=c.n_bits)
        if c.title_words and c.words_weight > 0:
            out["words"] = _word_ngram_buckets(titles, seed=37, n_bits=c.n_bits)
        return out

    @classmethod
    def fit_transform(
        cls,
        texts: Sequence[str],
        *,
        config: FeatureConfig,
        prepared: tuple[list[str], list[str]] | None = None,
    ) -> tuple[TextFeatures, sp.csr_matrix]:
        """Choose the kept buckets and their idf from training texts; return their rows too.

        ``prepared`` is :func:`prepare`'s output when the caller already has it.
        """
        probe = cls(config, ())
        n = len(texts)
        weights = {"body": 1.0, "title": config.title_weight, "words": config.words_weight}
        blocks = []
        parts = []
        n_buckets = 1 << config.n_bits
        for name, (doc, bucket) in probe._buckets(prepared or prepare(texts, config)).items():
            m = _tf_matrix(doc, bucket, n, n_buckets)
            df = np.bincount(m.indices, minlength=n_buckets)
            active = np.flatnonzero(df >= config.min_df).astype(np.int64)
            if active.shape[0] > config.max_features:
                # Keep the most frequent buckets (stable: ties by bucket number).
                top = np.argsort(-df[active], kind="stable")[: config.max_features]
                active = np.sort(active[top])
            idf = (np.log((1.0 + n) / (1.0 + df[active])) + 1.0).astype(np.float32)
            block = _Block(name, active, idf, weights[name])
            blocks.append(block)
            col = block.lookup(config.n_bits)[m.indices]
            keep = col >= 0
            rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(m.indptr))[keep]
            sub = sp.csr_matrix(
                (m.data[keep], (rows, col[keep])), shape=(n, active.shape[0]), dtype=np.float32
            )
            parts.append(_finish(sub, idf, block.weight))
        x = sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float32)
        return cls(config, tuple(blocks)), x

    @classmethod
    def fit(cls, texts: Sequence[str], *, config: FeatureConfig) -> TextFeatures:
        """Choose the kept buckets and their idf from training texts."""
        return cls.fit_transform(texts, config=config)[0]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows, one per text, ``n_features`` columns (float32)."""
        parts = []
        buckets = self._buckets(prepare(texts, self.config))
        for block in self.blocks:
            doc, bucket = buckets[block.name]
            col = block.lookup(self.config.n_bits)[bucket]
            keep = col >= 0
            m = _tf_matrix(doc[keep], col[keep].astype(np.int64), len(texts), block.active.size)
            parts.append(_finish(m, block.idf, block.weight))
        return sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float32)

    def to_arrays(self) -> dict[str, NDArray[np.generic]]:
        """Plain arrays for saving (no pickled objects)."""
        out: dict[str, NDArray[np.generic]] = {}
        for b in self.blocks:
            out[f"{b.name}.active"] = b.active
            out[f"{b.name}.idf"] = b.idf
            out[f"{b.name}.weight"] = np.asarray([b.weight], dtype=np.float64)
        return out

    @classmethod
    def from_arrays(
        cls, config: FeatureConfig, names: Sequence[str], arrays: dict[str, NDArray[np.generic]]
    ) -> TextFeatures:
        """Rebuild from :meth:`to_arrays` output."""
        blocks = tuple(
            _Block(
                n,
                np.asarray(arrays[f"{n}.active"], dtype=np.int64),
                np.asarray(arrays[f"{n}.idf"], dtype=np.float32),
                float(np.asarray(arrays[f"{n}.weight"])[0]),
            )
            for n in names
        )
        return cls(config, blocks)

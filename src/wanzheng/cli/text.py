"""``wanzheng text train | predict | evaluate``: case classification from an office's history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

    from wanzheng.data.tabular import Limits
    from wanzheng.text.evaluate import Evaluation
    from wanzheng.text.io import CaseTable

__all__ = ["register"]

TextColumns = Annotated[
    str,
    typer.Option(
        "--text-columns", help="Comma-separated text columns, title first, e.g. 留言主题,留言详情."
    ),
]
Encoding = Annotated[
    str | None,
    typer.Option(help="Encoding of a CSV file (default: UTF-8, else GB18030/GBK, else a guess)."),
]


def _columns(spec: str) -> list[str]:
    from wanzheng.errors import DataError

    cols = [c.strip() for c in spec.split(",") if c.strip()]
    if not cols:
        raise DataError(f"--text-columns: expected comma-separated column names, got {spec!r}")
    return cols


def _print_evaluation(ev: Evaluation) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"cases: {ev.n}   accuracy: {ev.accuracy:.4f}   macro-F1: {ev.macro_f1:.4f}")
    table = Table("label", "precision", "recall", "F1", "support", title="per class")
    for row in ev.per_class.itertuples(index=False):
        table.add_row(
            str(row.label),
            f"{row.precision:.3f}",
            f"{row.recall:.3f}",
            f"{row.f1:.3f}",
            str(row.support),
        )
    console.print(table)
    cm = Table("true \\ predicted", *[str(c) for c in ev.confusion.columns], title="confusion")
    for label, counts in zip(ev.confusion.index, ev.confusion.to_numpy(), strict=True):
        cm.add_row(str(label), *[str(int(v)) for v in counts])
    console.print(cm)


def register(app: typer.Typer) -> None:
    """Add the ``text`` sub-commands to the main application."""
    text_app = typer.Typer(
        help="Case classification trained on an office's own history.", no_args_is_help=True
    )
    app.add_typer(text_app, name="text")

    @text_app.command()
    def train(
        data: Annotated[Path, typer.Option(help="Labelled cases, CSV or XLSX.")],
        text_columns: TextColumns,
        label_column: Annotated[str, typer.Option(help="Column holding the category.")],
        out: Annotated[Path, typer.Option(help="Model directory to write.")],
        encoding: Encoding = None,
        labels_file: Annotated[
            Path | None,
            typer.Option(help="Label tree (TOML like wanzheng/text/labels.toml) to check against."),
        ] = None,
        any_labels: Annotated[
            bool, typer.Option(help="Accept labels outside the category tree (custom label set).")
        ] = False,
    ) -> None:
        """Train a classifier; rows with an empty label or empty text are skipped and counted."""
        from wanzheng.errors import DataError
        from wanzheng.text.classify import train_classifier
        from wanzheng.text.model import load_label_tree, save_classifier

        table, texts, labels, skipped = _labelled(data, text_columns, label_column, encoding)
        tree_kind = "custom" if (any_labels or labels_file) else "builtin"
        if not any_labels:
            tree = load_label_tree(labels_file)
            unknown = sorted(set(labels) - tree.names)
            if unknown:
                all_labels = list(table.labels or ())
                where = [
                    f"{lab!r} (first in row {table.rows[all_labels.index(lab)]})" for lab in unknown
                ]
                raise DataError(
                    f"{data}: column {label_column!r}: label(s) not in the category tree "
                    f"{tree.origin}: {', '.join(where)}; fix them, pass --labels-file, "
                    "or --any-labels"
                )
        model = train_classifier(texts, labels, n_skipped=skipped, source=str(data))
        save_classifier(model, out, label_tree=tree_kind)
        r = model.report
        typer.echo(
            f"trained on {r.n_rows} cases ({r.n_skipped} skipped: empty label or text), "
            f"{len(model.labels)} classes, {model.features.n_features} features, "
            f"{r.seconds:.1f} s; cross-validated macro-F1 of the candidates: "
            + ", ".join(f"{f:.4f}" for f in r.candidate_macro_f1)
            + f" (chose {r.chosen}); model in {out}"
        )
        for note in r.notes:
            typer.echo(f"note: {note}")

    @text_app.command()
    def predict(
        model: Annotated[Path, typer.Option(help="Model directory from `wanzheng text train`.")],
        data: Annotated[Path, typer.Option(help="Cases to classify, CSV or XLSX.")],
        text_columns: TextColumns,
        out: Annotated[Path, typer.Option(help="CSV to write (UTF-8 with BOM, opens in Excel).")],
        encoding: Encoding = None,
    ) -> None:
        """Write every input row with predicted, confidence and three alternatives.

        Rows without any text get an empty prediction with confidence 0; texts longer than
        3,000 characters are classified by their first 3,000.
        """
        from wanzheng.text.classify import Prediction
        from wanzheng.text.io import read_cases
        from wanzheng.text.model import load_classifier

        clf = load_classifier(model)
        table = read_cases(
            data, text_columns=_columns(text_columns), encoding=encoding, limits=_limits()
        )
        preds = clf.predict(list(table.texts))
        empty = set(table.empty_text_rows)
        # A row without text gets no prediction rather than the model's prior.
        preds = [
            Prediction("", 0.0, ()) if n in empty else p
            for n, p in zip(table.rows, preds, strict=True)
        ]
        frame = table.frame.copy()
        frame["predicted"] = [p.label for p in preds]
        frame["confidence"] = [round(p.confidence, 4) for p in preds]
        for k in range(3):
            frame[f"alternative_{k + 1}"] = [
                p.alternatives[k][0] if len(p.alternatives) > k else "" for p in preds
            ]
            frame[f"alternative_{k + 1}_confidence"] = [
                round(p.alternatives[k][1], 4) if len(p.alternatives) > k else None for p in preds
            ]
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(frame, out)
        typer.echo(f"{len(frame)} rows predicted → {out}")

    @text_app.command()
    def evaluate(
        data: Annotated[Path, typer.Option(help="Labelled cases, CSV or XLSX.")],
        text_columns: TextColumns,
        label_column: Annotated[str, typer.Option(help="Column holding the true category.")],
        model: Annotated[
            Path | None,
            typer.Option(help="Score this model on the file; without it, cross-validate."),
        ] = None,
        folds: Annotated[int, typer.Option(help="Folds of the stratified cross-validation.")] = 5,
        encoding: Encoding = None,
    ) -> None:
        """Accuracy, macro-F1, per-class table and confusion matrix."""
        from wanzheng.errors import DataError
        from wanzheng.text.evaluate import cross_validate, evaluate_predictions
        from wanzheng.text.model import load_classifier

        _, texts, labels, skipped = _labelled(data, text_columns, label_column, encoding)
        if skipped:
            typer.echo(f"{skipped} rows skipped (empty label or text)")
        if model is not None:
            clf = load_classifier(model)
            pred = [p.label for p in clf.predict(texts)]
            ev = evaluate_predictions(labels, pred, labels=sorted(set(labels) | set(clf.labels)))
        else:
            if folds < 2:
                raise DataError(f"--folds: expected at least 2, got {folds}")
            ev = cross_validate(texts, labels, folds=folds)
        _print_evaluation(ev)


def _labelled(
    data: Path, text_columns: str, label_column: str, encoding: str | None
) -> tuple[CaseTable, list[str], list[str], int]:
    """The labelled cases of ``data``: the table, the texts and labels of the rows that have
    both, and how many rows were skipped; DataError when no row has both."""
    from wanzheng.errors import DataError
    from wanzheng.text.io import read_cases

    table = read_cases(
        data,
        text_columns=_columns(text_columns),
        label_column=label_column,
        encoding=encoding,
        limits=_limits(),
    )
    texts, labels, skipped = table.training_rows()
    if not texts:
        raise DataError(f"{data}: column {label_column!r}: no row has both a label and text")
    return table, texts, labels, skipped


def _limits() -> Limits:
    """The input limits of the settings (``WANZHENG_INPUT_*``)."""
    from wanzheng.data.tabular import Limits
    from wanzheng.settings import Settings

    return Limits.from_settings(Settings())


def _write_csv(frame: pd.DataFrame, out: Path) -> None:
    """Write an output table through the one safe CSV writer (no formula injection)."""
    from wanzheng.data.cells import write_frame_csv

    write_frame_csv(frame, out)

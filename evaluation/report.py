"""The readable report: the paper's Tables 1, 2 and 4, then the added metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evaluation.classes import SIZE_GROUPS
from evaluation.result import EvaluationResult


def figure(value: float | None, decimals: int = 4, *, truncate: bool = False) -> str:
    """Format a figure; ``truncate`` cuts it as the paper did (the official script printed
    five decimals, the paper kept the first ``decimals`` of them). None prints as "-"."""
    if value is None:
        return "-"
    if truncate:
        return f"{value:.5f}"[: -(5 - decimals)] if decimals < 5 else f"{value:.5f}"
    return f"{value:.{decimals}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Right-aligned columns, two spaces apart."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(str(cell).rjust(width) for cell, width in zip(line, widths, strict=True))
        for line in (header, *rows)
    ]


def render_report(result: EvaluationResult, *, truncate: bool = False) -> str:
    """The report of ``result`` (see :meth:`EvaluationResult.to_text`)."""
    loc = result.localization

    def f4(value: float | None) -> str:
        return figure(value, 4, truncate=truncate)

    def f3(value: float | None) -> str:
        return figure(value, 3, truncate=truncate)

    lines = [
        f"tomobench evaluator {result.evaluator_version}, profile {result.profile}",
        f"ground truth {result.ground_truth_checksum[:16]}…: {loc.N} particles; "
        f"submission: {result.submission.predictions} predictions ({result.submission.format})",
        *(f"converted: {note}" for note in result.submission.conversion),
        "",
        "Localization (Table 1)",
        *table(
            ["RR", "TP", "FP", "FN", "MH", "RO", "AD", "Recall", "Precision", "Miss rate", "F1"],
            [
                [
                    str(loc.RR),
                    str(loc.TP),
                    str(loc.FP),
                    str(loc.FN),
                    str(loc.MH),
                    str(loc.RO),
                    f4(loc.AD),
                    f4(loc.recall),
                    f4(loc.precision),
                    f4(loc.miss_rate),
                    f4(loc.f1),
                ]
            ],
        ),
        f"AD over first hits {f4(loc.AD_first)}, over all hits {f4(loc.AD_all)}"
        + (f"; {loc.ignored} hits on excluded particles" if loc.ignored else ""),
        *_per_tomogram(result, f4),
        "",
        "Classification F1 (Table 2)",
    ]
    per_class = result.classification.per_class
    names = list(per_class)
    lines += table(names, [[f3(per_class[n].f1) for n in names]])
    lines += ["", "Size groups F1 (Table 4)"]
    groups = list(SIZE_GROUPS)
    lines += table([g.capitalize() for g in groups], [[f3(result.size_groups[g]) for g in groups]])
    lines += ["", "Per class (first hit decides; background picks take no part)"]
    strict = result.strict_classification.per_class
    lines += table(
        ["class", "TP", "FP", "FN", "precision", "recall", "F1", "strict F1"],
        [
            [
                n,
                str(s.tp),
                str(s.fp),
                str(s.fn),
                f3(s.precision),
                f3(s.recall),
                f3(s.f1),
                f3(strict[n].f1),
            ]
            for n, s in per_class.items()
        ],
    )
    lines += ["", "Confusion matrix (rows true, columns predicted)"]
    labels = result.classification.labels
    matrix = result.classification.matrix
    lines += table(["", *labels], [[labels[r], *map(str, matrix[r])] for r in range(len(labels))])
    lines += ["", "Added metrics", *_added(result)]
    if result.warnings:
        lines += ["", "Warnings", *(f"- {w}" for w in result.warnings)]
    return "\n".join(lines) + "\n"


def _per_tomogram(result: EvaluationResult, f4: Callable[[float | None], str]) -> list[str]:
    """Each test tomogram's own Table 1, when the test holds several (their sums are above)."""
    if not result.per_tomogram:
        return []
    counts = ("RR", "TP", "FP", "FN", "MH", "RO")
    ratios = ("AD", "recall", "precision", "f1")
    rows = []
    for name, own in result.per_tomogram.items():
        located = own["localization"]
        rows.append([name, *(str(located[k]) for k in counts), *(f4(located[k]) for k in ratios)])
    header = ["Tomogram", *counts, "AD", "Recall", "Precision", "F1"]
    title = "Each test tomogram (Table 1; the counts above are their sums)"
    return ["", title, *table(header, rows)]


def _added(result: EvaluationResult) -> list[str]:
    def fmt(value: float | None) -> str:
        return figure(value, 3)

    overall = result.strict_classification.overall
    fb = result.fbeta
    lines = [
        f"strict classification (every prediction counts): precision {fmt(overall.precision)}, "
        f"recall {fmt(overall.recall)}, F1 {fmt(overall.f1)}",
        f"distance-matched F-beta (beta {fb.beta:g}, radius x {fb.multiplier:g}): "
        f"{fmt(fb.overall.fbeta)} pooled, {fmt(fb.macro_fbeta)} mean over classes",
    ]
    if result.orientation is None:
        lines.append("orientation: no angles (in the submission or the ground truth)")
    else:
        o = result.orientation
        lines.append(
            f"orientation error over {o.count} first hits: mean {fmt(o.mean)}°, "
            f"median {fmt(o.median)}°"
        )
    if result.ranking is None:
        lines.append("ranking: no scores in the submission")
    else:
        r = result.ranking
        best = r.localization.best_f1
        lines.append(
            f"ranking: localization AP {fmt(r.localization.average_precision)}, best F1 "
            f"{fmt(best.f1)} at score >= {best.threshold:g} ({best.predictions} predictions); "
            f"classification AP {fmt(r.classification.average_precision)}, "
            f"mean per-class AP {fmt(r.mean_average_precision)}"
        )
    if result.bootstrap is None:
        lines.append("bootstrap: skipped")
    else:
        b = result.bootstrap
        spans = ", ".join(f"{g} [{fmt(i.low)}, {fmt(i.high)}]" for g, i in b.size_groups.items())
        lines.append(
            f"bootstrap {b.confidence:.0%} intervals ({b.resamples} resamples of the particles, "
            f"seed {b.seed}): localization F1 [{fmt(b.localization_f1.low)}, "
            f"{fmt(b.localization_f1.high)}]; {spans}"
        )
    return lines

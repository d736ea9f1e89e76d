"""A closed phase's paper: the SHREC'19 paper's Tables 1, 2 and 4 with every ranked entry.

Built from the phase's snapshot (the official, private ranking, best entry per participant
and method), so the report never changes once the phase is closed and its figures are the
leaderboard's. Best values in each column are in bold, as in the paper. The LaTeX needs only
the packages of a base TeX installation (`graphicx` for the wide Table 1); each `table`
environment can be pasted into a paper as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Phase, Submission
from app.services.board_figures import CZII_SCORE, CZII_TYPES
from app.services.csv_export import csv_document
from app.services.errors import Conflict
from app.services.leaderboard import build_leaderboard
from app.services.method_cards import card_view, method_card_for
from evaluation import CLASSES, SIZE_GROUPS
from evaluation.profiles import CZII

# Table 1 as the paper prints it: (row key, header, digits, better: max / min / None)
TABLE1: tuple[tuple[str, str, int, str | None], ...] = (
    ("RR", "RR", 0, None),
    ("TP", "TP", 0, "max"),
    ("FP", "FP", 0, "min"),
    ("FN", "FN", 0, "min"),
    ("MH", "MH", 0, "min"),
    ("RO", "RO", 0, "min"),
    ("AD", "AD", 4, "min"),
    ("recall", "Recall", 4, "max"),
    ("precision", "Precision", 4, "max"),
    ("miss_rate", "Miss rate", 4, "min"),
    ("f1", "F1 Score", 4, "max"),
)
TABLE2 = tuple((f"f1_{name}", name, 3, "max") for name in CLASSES)
TABLE4 = tuple((group, group.capitalize(), 3, "max") for group in SIZE_GROUPS)
# a real-data track (czii profile): one table, the CZII score and its F-beta per type
TABLE_CZII = (
    (CZII_SCORE, "CZII score", 4, "max"),
    *((f"fbeta_{name}", name, 3, "max") for name in CZII_TYPES),
)
ENTRY_KEYS = ("rank", "rank_group", "method", "team", "submission_id")
CSV_KEYS = (
    *ENTRY_KEYS,
    *(key for key, *_ in TABLE1),
    *(key for key, *_ in TABLE2),
    *(key for key, *_ in TABLE4),
)
CZII_CSV_KEYS = (*ENTRY_KEYS, *(key for key, *_ in TABLE_CZII))
# each table's LaTeX label
LABELS = {
    "table1": "tab:localization",
    "table2": "tab:classes",
    "table4": "tab:sizes",
    "czii": "tab:czii",
}
CAPTIONS = {
    "table1": "Results of localization evaluation. RR: results reported; TP: true positive, "
    "unique particles found; FP: false positive, reported non-existent particles; FN: false "
    "negative, unique particles not found; MH: multiple hits; RO: results outside of volume; "
    "AD: average euclidean distance from predicted particle center. The best results in each "
    "column are highlighted.",
    "table2": "Results of classification evaluation for all classes: F1 score per class. The "
    "best results in each column are highlighted.",
    "table4": "F1 scores of each submission for the size groups. The best results in each "
    "column are highlighted.",
    "czii": "Results of the CZII score (Kaggle CryoET Object Identification): the weighted "
    "mean over particle types of F-beta (beta 4), a pick finding a particle of its type "
    "within half its radius; F-beta per particle type. The best results in each column are "
    "highlighted.",
}

Spec = tuple[str, str, int, str | None]


@dataclass(frozen=True)
class ReportCell:
    """One figure of a table: its text and whether it is the column's best."""

    text: str
    best: bool


@dataclass(frozen=True)
class ReportTable:
    """One of the paper's tables: headers, and per entry its name and cells."""

    key: str
    caption: str
    headers: list[str]
    rows: list[tuple[str, list[ReportCell]]]


@dataclass(frozen=True)
class PhaseReport:
    """The paper of a closed phase: its ranked entries (official split) and the tables."""

    phase: Phase
    entries: list[dict[str, Any]]
    tables: list[ReportTable]
    snapshot_sha256: str
    # each entry's method card (app/services/method_cards.py) and who uploaded it
    cards: dict[int, dict[str, Any]]


def _text(value: Any, digits: int) -> str:
    if value is None:
        return "--"
    return str(int(value)) if digits == 0 else f"{float(value):.{digits}f}"


def entry_name(row: dict[str, Any]) -> str:
    """How an entry is named in the tables: its method, and its team when it has one."""
    team = row.get("team")
    return f"{row['method']} ({team})" if team else str(row["method"])


def _table(key: str, specs: Sequence[Spec], entries: list[dict[str, Any]]) -> ReportTable:
    best: dict[str, Any] = {}
    for column, _, digits, better in specs:
        values = [row[column] for row in entries if row.get(column) is not None]
        # compared as printed: two entries equal to the printed digits are both best
        shown = {round(float(v), digits) for v in values}
        if better is not None and len(shown) > 1:
            best[column] = max(shown) if better == "max" else min(shown)
    rows = []
    for row in entries:
        cells = []
        for column, _, digits, _ in specs:
            value = row.get(column)
            is_best = value is not None and round(float(value), digits) == best.get(column)
            cells.append(ReportCell(_text(value, digits), is_best))
        rows.append((entry_name(row), cells))
    return ReportTable(key, CAPTIONS[key], ["Submission", *(s[1] for s in specs)], rows)


def phase_report(db: Session, phase: Phase) -> PhaseReport:
    """The report of a closed phase, from its snapshot's official (private) ranking.

    Raises:
        Conflict: if the phase is not closed yet (its private figures are still hidden).
    """
    snapshot = phase.snapshot
    if phase.closed_at is None or snapshot is None:
        raise Conflict(
            f"phase {phase.id} ({phase.name}) is not closed; its report comes when it closes"
        )
    entries = build_leaderboard(db, phase_id=phase.id, split="private").rows
    if phase.dataset_version.profile == CZII:
        tables = [_table("czii", TABLE_CZII, entries)]
    else:
        tables = [
            _table("table1", TABLE1, entries),
            _table("table2", TABLE2, entries),
            _table("table4", TABLE4, entries),
        ]
    ids = [int(row["submission_id"]) for row in entries]
    cards: dict[int, dict[str, Any]] = {}
    for submission in db.scalars(select(Submission).where(Submission.id.in_(ids))):
        card = method_card_for(db, submission)
        cards[submission.id] = {
            "user": submission.user.username,
            "method": submission.method,
            "description": submission.description,  # the upload's own, when it has no card
            "card": card_view(card) if card is not None else None,
        }
    return PhaseReport(phase, entries, tables, snapshot.sha256, cards)


_LATEX_SPECIAL = re.compile(r"[\\&%$#_{}~^]")
_LATEX_REPLACEMENTS = {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# What pdflatex prints with the base packages (`inputenc` utf8, `fontenc` T1, the EC fonts
# of texlive-latex-base): ASCII and the Latin-1 Supplement and Latin Extended-A letters and
# signs, less the few that T1 has no glyph or definition for (checked by compiling each).
_T1_MISSING = frozenset("\u0126\u0127\u0138\u013f\u0140\u0149\u0166\u0167\u017f")
_PRINTABLE = frozenset(
    chr(code)
    for code in (*range(0x20, 0x7F), *range(0xA1, 0x180))
    if code != 0xAD and chr(code) not in _T1_MISSING  # U+00AD: an invisible soft hyphen
)
_UNPRINTABLE_RUN = re.compile(f"[^{re.escape(''.join(sorted(_PRINTABLE)))}]+")


def _code_points(run: str) -> str:
    return "\\texttt{<" + " ".join(f"U+{ord(char):04X}" for char in run) + ">}"


def printable(text: str) -> bool:
    """Whether every character of `text` (NFC, whitespace as spaces) prints as itself."""
    return _UNPRINTABLE_RUN.search(_normal(text)) is None


def _normal(text: str) -> str:
    # composed accents print as one T1 glyph; any Unicode space is a plain space
    return re.sub(r"\s", " ", unicodedata.normalize("NFC", text))


def latex_escape(text: str) -> str:
    """`text` safe for pdflatex with base packages: LaTeX's special characters escaped, and
    each run of characters its fonts cannot show (Greek, Cyrillic, CJK, emoji, controls...)
    written as its code points, `<U+03B1 U+03B2>` in typewriter type, so that every name
    prints and can be recovered exactly (the `.tex` also keeps the originals in comments)."""
    normal = _normal(text)
    pieces = []
    start = 0
    for run in _UNPRINTABLE_RUN.finditer(normal):
        pieces.append(_escape_special(normal[start : run.start()]))
        pieces.append(_code_points(run[0]))
        start = run.end()
    pieces.append(_escape_special(normal[start:]))
    return "".join(pieces)


def _escape_special(text: str) -> str:
    return _LATEX_SPECIAL.sub(lambda m: _LATEX_REPLACEMENTS.get(m[0], "\\" + m[0]), text)


def _latex_table(table: ReportTable, label: str) -> list[str]:
    columns = "l" + "r" * (len(table.headers) - 1)
    lines = [
        "\\begin{table}[htbp]",
        "\\centering",
        "\\resizebox{\\textwidth}{!}{%",
        f"\\begin{{tabular}}{{{columns}}}",
        "\\hline",
        " & ".join(latex_escape(header) for header in table.headers) + " \\\\",
        "\\hline",
    ]
    for name, cells in table.rows:
        shown = [f"\\textbf{{{c.text}}}" if c.best else c.text for c in cells]
        lines.append(" & ".join([latex_escape(name), *shown]) + " \\\\")
    lines += [
        "\\hline",
        "\\end{tabular}}",
        f"\\caption{{{latex_escape(table.caption)}}}",
        f"\\label{{{label}}}",
        "\\end{table}",
    ]
    return lines


def _originals(report: PhaseReport, title: str) -> list[str]:
    """Comment lines keeping each name the fonts could not show as it was written (the
    comment is UTF-8 text TeX skips; any line break in a name becomes a space)."""
    names = [title, *(entry_name(row) for row in report.entries)]
    shown = [name for name in dict.fromkeys(names) if not printable(name)]
    if not shown:
        return []
    lines = ["% names with characters the base fonts lack print them as code points:"]
    lines += ["%   " + " ".join(name.split()) for name in shown]
    return lines


def report_tex(report: PhaseReport) -> str:
    """The report as a LaTeX document (pdflatex, base packages only)."""
    phase = report.phase
    title = f"{phase.dataset_version.name}, {phase.name}"
    lines = [
        f"% tomobench phase {phase.id}: official ranking on the private part",
        f"% of the hidden test; leaderboard snapshot SHA-256 {report.snapshot_sha256}",
        *_originals(report, title),
        "\\documentclass{article}",
        "\\usepackage[T1]{fontenc}",
        "\\usepackage[utf8]{inputenc}",
        "\\usepackage{graphicx}",
        "\\begin{document}",
        f"\\section*{{Results: {latex_escape(title)}}}",
    ]
    for table in report.tables:
        lines += _latex_table(table, f"{LABELS[table.key]}-{phase.id}")
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"


def report_csv(report: PhaseReport) -> str:
    """The same figures as CSV, one row per ranked entry."""
    czii = report.phase.dataset_version.profile == CZII
    keys = CZII_CSV_KEYS if czii else CSV_KEYS
    return csv_document(list(keys), ([row.get(key) for key in keys] for row in report.entries))


def entries_f1_svg(report: PhaseReport) -> str:
    """The per-class F1 of every ranked entry in one figure (a line per entry, classes
    ordered by size group as in Table 3)."""
    import matplotlib
    from matplotlib.figure import Figure

    from app.services.plots import _SVG_SETTINGS, figure_to_svg

    names = [name for group in SIZE_GROUPS.values() for name in group]
    key, measure, order = "f1_", "F1", "classes from tiny to large"
    if report.phase.dataset_version.profile == CZII:  # the types some entry was scored on
        key, measure, order = "fbeta_", "F-beta", "particle types"
        names = [t for t in CZII_TYPES if any(r.get(key + t) is not None for r in report.entries)]
    with matplotlib.rc_context(_SVG_SETTINGS):
        figure = Figure(figsize=(7.5, 3.4), dpi=96)
        axes = figure.add_subplot()
        for row in report.entries:
            values = [row.get(f"{key}{name}") for name in names]
            heights = [float("nan") if v is None else float(v) for v in values]
            axes.plot(names, heights, marker="o", linewidth=1, label=entry_name(row))
        axes.set_ylim(0.0, 1.05)
        axes.set_ylabel(measure)
        axes.set_title(f"{measure} per class of every entry ({order})")
        axes.tick_params(axis="x", labelrotation=45)
        if report.entries:
            axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return figure_to_svg(figure)

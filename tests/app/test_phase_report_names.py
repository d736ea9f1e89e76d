"""report.tex prints every name with pdflatex and base packages: characters the base fonts
lack (Greek, Cyrillic, CJK, emoji) as their code points, the originals kept in comments."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.models import DatasetVersion, Phase
from app.services.phase_report import (
    TABLE1,
    TABLE2,
    TABLE4,
    PhaseReport,
    _table,
    latex_escape,
    printable,
    report_tex,
)
from tests.app.test_phase_report import balanced, pdflatex

NAMES = {
    "Ελληνική μέθοδος": "Greek",
    "Метод Петрова": "Cyrillic",
    "粒子検出": "CJK",
    "Picker 🚀🧬": "emoji",
    "Crème brûlée & Łódź_2": "Latin",
}


def _entry(rank: int, method: str, team: str | None) -> dict[str, Any]:
    figures = {key: 0.5 + rank / 100 for key, *_ in (*TABLE1, *TABLE2, *TABLE4)}
    return {**figures, "rank": rank, "method": method, "team": team, "submission_id": rank}


@pytest.fixture
def report() -> PhaseReport:
    version = DatasetVersion(id=1, name="SHREC Ωmega", seed=1)
    phase = Phase(
        id=3,
        name="Édition\n2026",
        dataset_version=version,
        opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    teams = [None, "Команда", None, "チーム", None]
    entries = [
        _entry(rank, name, team)
        for rank, (name, team) in enumerate(zip(NAMES, teams, strict=True), 1)
    ]
    tables = [
        _table("table1", TABLE1, entries),
        _table("table2", TABLE2, entries),
        _table("table4", TABLE4, entries),
    ]
    return PhaseReport(phase, entries, tables, "ab" * 32, {})


def test_unprintable_runs_become_code_points() -> None:
    assert latex_escape("Метод Петрова") == (
        r"\texttt{<U+041C U+0435 U+0442 U+043E U+0434>} "
        r"\texttt{<U+041F U+0435 U+0442 U+0440 U+043E U+0432 U+0430>}"
    )
    assert latex_escape("Picker 🚀") == r"Picker \texttt{<U+1F680>}"
    assert latex_escape("Crème brûlée & Łódź_2") == r"Crème brûlée \& Łódź\_2"
    # a decomposed accent is composed into the letter T1 prints; a line break is a space
    assert latex_escape("Cre\u0300me\nbrulee") == "Crème brulee"
    assert printable("Łódź")
    assert not printable("Łódź 粒子")


def test_report_with_names_of_every_script_compiles(report: PhaseReport, tmp_path: Path) -> None:
    tex = report_tex(report)
    assert balanced(tex)
    body = tex.split("\\begin{document}")[1]
    assert re.search(r"[^\x00-\x7f\u00a1-\u017f]", body) is None  # only what T1 prints
    comments = [line for line in tex.splitlines() if line.startswith("%")]
    for original in (
        "Ελληνική μέθοδος",
        "Метод Петрова (Команда)",
        "粒子検出",
        "Picker 🚀🧬 (チーム)",
    ):
        assert f"%   {original}" in comments
    assert "%   SHREC Ωmega, Édition 2026" in comments  # the line break cannot end a comment
    assert not any("Crème" in line for line in comments)  # printable names are not repeated
    source = tmp_path / "report.tex"
    source.write_text(tex, encoding="utf-8")
    compiled = subprocess.run(
        [pdflatex(), "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    log = (tmp_path / "report.log").read_text(encoding="latin-1")
    assert compiled.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    assert (tmp_path / "report.pdf").stat().st_size > 0
    table1 = body.split("\\begin{tabular}")[1]
    for name in NAMES:  # every entry has its row, its name as printed
        assert f"\n{latex_escape(name)}" in table1

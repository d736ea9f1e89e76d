"""A closed phase's paper: report.tex compiles with pdflatex and its tables hold every ranked
entry with the leaderboard's figures, best values in bold; report.csv holds the same figures;
the report page shows the tables, the figure, the rank groups and each method card."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.models import Role
from app.services.phase_report import ReportCell, _table, latex_escape
from tests.app.support import (
    GOOD_SUBMISSION,
    PARTICLES,
    install_dataset,
    new_user,
    running_worker,
    upload,
    wait_for_status,
)
from tests.app.test_phases import create_phase

PERFECT = "\n".join(f"{name} {x} {y} {z}" for name, x, y, z in PARTICLES).encode()
HALF = b"1bxn 10 10 10\n4b4t 20 30 20\n"


def pdflatex() -> str:
    """The pdflatex of Debian's texlive-latex-base, or a skip (a failure where CI asks)."""
    found = shutil.which("pdflatex")
    if found is None:
        if os.environ.get("TOMOBENCH_REQUIRE_PDFLATEX") == "1":
            pytest.fail("TOMOBENCH_REQUIRE_PDFLATEX=1 but pdflatex is missing")
        pytest.skip("pdflatex is missing: install Debian's texlive-latex-base")
    return found


def balanced(tex: str) -> bool:
    """Braces balance (escaped ones aside) and every \\begin{x} has its \\end{x}, nested."""
    depth = 0
    for char in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    stack: list[str] = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return depth == 0 and not stack


REPORT_SECRET = hashlib.sha256(b"phase report").hexdigest()


@pytest.fixture
def closed_edition(fresh_settings: Settings) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """An edition with three scored entries, closed; the client and the phase."""
    # a fixed split in which the three entries' private F1 differ (with a random one, all
    # three can be perfect on the private part and no column has a best value)
    version_id = install_dataset(fresh_settings, secret=REPORT_SECRET)
    with running_worker(fresh_settings), TestClient(create_app(fresh_settings)) as client:
        admin = new_user(fresh_settings, Role.ADMIN)
        phase = create_phase(client, admin, version_id)
        for content, method in (
            (PERFECT, "Perfect & co_1"),
            (GOOD_SUBMISSION, "Good"),
            (HALF, "Half"),
        ):
            headers = new_user(fresh_settings)
            answer = upload(
                client,
                headers,
                content,
                method=method,
                phase=str(phase["id"]),
                description=f"{method}: spheres by hand",
            )
            assert wait_for_status(client, headers, answer.json()["id"])["status"] == "scored"
            if method == "Good":  # one entry has a method card, the others only a description
                card = {"method": method, "authors": "A. Author", "description": "**Spheres**"}
                made = client.post("/api/v1/method-cards", headers=headers, json=card)
                assert made.status_code == 201, made.text
        early = client.get(f"/api/v1/phases/{phase['id']}/report.tex")
        assert early.status_code == 409
        assert "not closed" in early.json()["detail"]
        closed = client.post(f"/api/v1/admin/phases/{phase['id']}/close", headers=admin)
        assert closed.status_code == 200
        yield client, phase


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.removesuffix("\\\\").split(" & ")]


def test_report_tex_compiles_and_equals_the_leaderboard(
    closed_edition: tuple[TestClient, dict[str, Any]], tmp_path: Path
) -> None:
    client, phase = closed_edition
    board = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
    assert board["split"] == "private"
    rows = board["rows"]
    assert len(rows) == 3
    tex = client.get(f"/api/v1/phases/{phase['id']}/report.tex").text
    assert balanced(tex)
    # Table 1: every ranked entry in rank order, its figures those of the leaderboard
    table1 = tex.split("\\begin{tabular}")[1].split("\\end{tabular}")[0]
    lines = [line for line in table1.splitlines() if line.endswith("\\\\")][1:]
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        cells = [re.sub(r"\\textbf\{(.*)\}", r"\1", cell) for cell in _cells(line)]
        assert cells[0] == latex_escape(row["method"])
        assert cells[1:7] == [str(row[key]) for key in ("RR", "TP", "FP", "FN", "MH", "RO")]
        assert cells[11] == f"{row['f1']:.4f}"
    best_f1 = max(row["f1"] for row in rows)
    assert f"\\textbf{{{best_f1:.4f}}}" in table1
    assert "Perfect \\& co\\_1" in tex  # names are escaped
    # Tables 2 and 4: per-class and size-group F1 to three decimals
    table4 = tex.split("\\begin{tabular}")[3].split("\\end{tabular}")[0]
    header = _cells(next(line for line in table4.splitlines() if line.endswith("\\\\")))
    assert header == ["Submission", "Tiny", "Small", "Medium", "Large"]
    assert tex.count("\\begin{table}") == 3
    # it compiles
    (tmp_path / "report.tex").write_text(tex)
    run = subprocess.run(
        [pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "report.pdf").stat().st_size > 1000


def test_report_csv_and_page_show_the_same_figures(
    closed_edition: tuple[TestClient, dict[str, Any]],
) -> None:
    client, phase = closed_edition
    rows = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()["rows"]
    answer = client.get(f"/api/v1/phases/{phase['id']}/report.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(answer.text)))
    assert [entry["method"] for entry in table] == [row["method"] for row in rows]
    for entry, row in zip(table, rows, strict=True):
        for key in ("TP", "FP", "f1", "f1_1bxn", "tiny", "large", "rank", "rank_group"):
            expected = "" if row[key] is None else str(row[key])
            assert entry[key] == expected, key
    board_page = client.get("/leaderboard", params={"phase": phase["id"]}).text
    assert f'id="phase-report-link" href="/phases/{phase["id"]}/report"' in board_page
    page = client.get(f"/phases/{phase['id']}/report")
    assert page.status_code == 200
    for key in ("table1", "table2", "table4", "rank-groups"):
        assert f'id="{key}"' in page.text
    assert "Half: spheres by hand" in page.text  # no card: the upload's description
    good = next(row["submission_id"] for row in rows if row["method"] == "Good")
    card = page.text.split(f'id="card-{good}"')[1].split("</article>")[0]
    assert "A. Author" in card
    assert "<strong>Spheres</strong>" in card  # its Markdown, rendered
    figure = client.get(f"/phases/{phase['id']}/report/f1.svg")
    assert figure.headers["content-type"].startswith("image/svg+xml")
    assert "Perfect &amp; co_1" in figure.text


def test_best_values_are_bold_as_printed() -> None:
    entries = [
        {"method": "a", "team": "", "f1": 0.71234, "FP": 3},
        {"method": "b", "team": "lab", "f1": 0.71231, "FP": 1},
        {"method": "c", "team": None, "f1": None, "FP": 1},
        {"method": "d", "team": None, "f1": 0.5, "FP": 2},
    ]
    table = _table("table1", [("f1", "F1", 4, "max"), ("FP", "FP", 0, "min")], entries)
    assert [name for name, _ in table.rows] == ["a", "b (lab)", "c", "d"]
    # equal to the printed digits: both bold; the smaller FP is bold for two entries
    assert table.rows[0][1] == [ReportCell("0.7123", True), ReportCell("3", False)]
    assert table.rows[1][1] == [ReportCell("0.7123", True), ReportCell("1", True)]
    assert table.rows[2][1] == [ReportCell("--", False), ReportCell("1", True)]
    assert table.rows[3][1] == [ReportCell("0.5000", False), ReportCell("2", False)]
    assert latex_escape("a_b & 50% {x} #1 ~^\\") == (
        "a\\_b \\& 50\\% \\{x\\} \\#1 \\textasciitilde{}\\textasciicircum{}\\textbackslash{}"
    )

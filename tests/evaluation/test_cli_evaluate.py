"""`tomobench evaluate`: JSON and text output, exit codes, one-line rejections."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from app.cli import main
from evaluation import load_ground_truth, parse_submission, score
from evaluation.examples import GROUND_TRUTH, SUBMISSION

REAL_LIST = Path(__file__).parents[1] / "data" / "shrec19" / "particle_locations_model_9.txt"


def run(*arguments: str | Path) -> Result:
    return CliRunner().invoke(main, ["evaluate", *map(str, arguments)])


def test_json_document_of_the_bundled_example() -> None:
    result = run(GROUND_TRUTH, SUBMISSION, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # exactly one JSON document
    loc = document["localization"]
    assert (loc["RR"], loc["TP"], loc["FP"], loc["FN"], loc["MH"], loc["RO"]) == (
        12,
        9,
        2,
        3,
        1,
        1,
    )
    assert document["classification"]["1s3x"]["f1"] == 0.0
    assert document["classification"]["1bxn"]["f1"] == 1.0
    assert document["size_groups"]["small"] == 1.0
    assert document["bootstrap"]["resamples"] == 1000
    assert document["profile"] == "native"


def test_text_report_has_the_papers_tables() -> None:
    result = run(GROUND_TRUTH, SUBMISSION, "--bootstrap", "0")
    assert result.exit_code == 0
    for title in ("Localization (Table 1)", "Classification F1 (Table 2)", "Size groups F1"):
        assert title in result.stdout
    assert "bootstrap: skipped" in result.stdout


def test_bad_submission_is_one_line_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "picks.txt"
    bad.write_text("1bxn 6 8 12\nabc 1 2 3\n")
    result = run(GROUND_TRUTH, bad)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "tomobench evaluate: rejected picks.txt: line 2: unknown class 'abc'"
    )


def test_binary_submission(tmp_path: Path) -> None:
    bad = tmp_path / "picks.mrc"
    bad.write_bytes(b"\x00\x01\x02\x03" * 100)
    result = run(GROUND_TRUTH, bad)
    assert result.exit_code == 1
    assert "line 1: NUL byte: this is binary data" in result.stderr


def test_bad_ground_truth_exits_3(tmp_path: Path) -> None:
    result = run(tmp_path, SUBMISSION)
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"tomobench evaluate: bad ground truth: missing file: {tmp_path / 'particle_locations.txt'}"
    )


def test_option_of_another_profile_is_a_usage_error() -> None:
    result = run(GROUND_TRUTH, SUBMISSION, "--z-offset", "0")
    assert result.exit_code == 2
    assert "--z-offset applies to the shrec19 profile only" in result.stderr


def test_shrec19_list_file_as_ground_truth(tmp_path: Path) -> None:
    rows = [line.split() for line in REAL_LIST.read_text().splitlines()[:30]]
    picks = tmp_path / "picks.txt"
    picks.write_text("".join(f"{name} {z} {y} {x}\n" for name, z, y, x, *_ in rows))
    result = run(
        REAL_LIST, picks, "--profile", "shrec19", "--z-offset", "0", "--json", "--bootstrap", "0"
    )
    assert result.exit_code == 0, result.output
    loc = json.loads(result.stdout)["localization"]
    assert (loc["TP"], loc["FP"], loc["N"]) == (30, 0, 2540)


def test_boxes_option() -> None:
    result = run(GROUND_TRUTH, SUBMISSION, "--boxes", "--json", "--bootstrap", "0")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["profile_options"]["hitbox"] == "boxes"
    # the SHREC'19 cubes (sides 8 to 30) are far larger than the example's spheres (radius
    # 3): both background picks now land in a cube (the one at (24, 14, 4) in 3d2f's)
    assert document["localization"]["FP"] == 0


def test_paper_digits() -> None:
    truth = load_ground_truth(GROUND_TRUTH)
    expected = score(truth, parse_submission(SUBMISSION), bootstrap=0).to_text(truncate=True)
    result = run(GROUND_TRUTH, SUBMISSION, "--paper-digits", "--bootstrap", "0")
    assert result.stdout == expected
    assert "0.1571" in result.stdout  # AD over first hits √2 / 9 = 0.157135, cut to 4 places


def test_console_entry_point(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "evaluate",
            str(GROUND_TRUTH),
            str(SUBMISSION),
            "--json",
            "--bootstrap",
            "0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["localization"]["TP"] == 9


def test_commands_of_the_documentation_run() -> None:
    docs = Path(__file__).parents[2] / "docs" / "evaluation.md"
    block = docs.read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    root = Path(__file__).parents[2]
    for command in commands:
        assert command[:2] == ["tomobench", "evaluate"]
        arguments = [str(root / part) if "/" in part else part for part in command[2:]]
        result = run(*arguments)
        assert result.exit_code == 0, result.output


def test_shrec20_and_shrec21_options() -> None:
    def scored(profile: str, *options: str) -> Any:
        result = run(GROUND_TRUTH, SUBMISSION, "--profile", profile, *options, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    document = scored("shrec20", "--slab-padding", "0", "--bootstrap", "0")
    assert document["profile_options"] == {"slab_padding": 0}
    assert document["localization"]["AD"] == document["localization"]["AD_first"]
    document = scored("shrec21", "--exclude", "1bxn", "--exclude", "1QVR", "--bootstrap", "0")
    assert document["profile_options"] == {"excluded": ["1bxn", "1qvr"]}
    # 1bxn and 1qvr leave N; the two hits on the 1bxn particle and the one on 1qvr are ignored
    assert (document["localization"]["N"], document["localization"]["ignored"]) == (10, 3)

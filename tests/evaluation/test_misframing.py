"""Misframed files are diagnosed before they are scored; a few picks outside are not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from evaluation import GroundTruth, SubmissionError, load_ground_truth, parse_submission, score
from evaluation.misframing import check_frame, diagnose
from tests.evaluation import field_formats as ff

SHREC19_LIST = Path(__file__).parents[1] / "data" / "shrec19" / "particle_locations_model_9.txt"


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> tuple[ff.Truth, GroundTruth]:
    made = ff.make_truth(tmp_path_factory.mktemp("misframing"))
    return made, load_ground_truth(made.folder)


def lines(names: list[str], coords: np.ndarray) -> str:
    rows = zip(names, coords.tolist(), strict=True)
    return "".join(f"{n} {x!r} {y!r} {z!r}\n" for n, (x, y, z) in rows)


def diagnosis_of(ground_truth: GroundTruth, names: list[str], coords: np.ndarray) -> str | None:
    found = diagnose(ground_truth, parse_submission(lines(names, coords)))
    return None if found is None else found.diagnosis


def test_the_right_frame_is_not_misframed(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    assert diagnosis_of(ground_truth, made.names, made.centres) is None


def test_a_few_picks_outside_are_a_legitimate_ro(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    outside = np.array([[500.0, 3.0, 2.0], [-40.0, 9.0, 9.0], [7.0, 7.0, 300.0]])
    coords = np.concatenate([made.centres, outside])
    assert diagnosis_of(ground_truth, [*made.names, "1bxn", "1bxn", "1bxn"], coords) is None


def test_angstrom(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    assert diagnosis_of(ground_truth, made.names, made.centres * 10) == (
        "looks like Å: coordinates are ~10× the volume (voxel size 10 Å)"
    )


def test_z_y_x_columns(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    assert diagnosis_of(ground_truth, made.names, made.centres[:, ::-1]) == (
        "columns look like Z Y X"
    )


def test_shrec19_tomogram_z_under_a_slab_profile(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    assert diagnosis_of(ground_truth, made.names, made.centres + np.array([0.0, 0.0, 156.0])) == (
        "looks like tomogram Z of SHREC'19 (+156)"
    )


def test_binned_by_two(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    found = diagnosis_of(ground_truth, made.names, made.centres / 2)
    assert found is not None
    assert found.startswith("looks binned by 2")


def test_centred_coordinates(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    half = np.array(ff.SHAPE[::-1]) / 2
    found = diagnosis_of(ground_truth, made.names, made.centres - half)
    assert found is not None
    assert found.startswith("looks centred on the tomogram")


def test_nothing_known_says_how_many_lie_outside(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    rng = np.random.default_rng(0)
    scattered = rng.uniform(1000, 5000, size=made.centres.shape)
    found = diagnose(ground_truth, parse_submission(lines(made.names, scattered)))
    assert found is not None
    assert found.diagnosis.startswith("most predictions lie outside the volume (x 0..119")
    assert "(30 of 30 predictions lie outside" in found.message


def test_refusal_and_override(truth: tuple[ff.Truth, GroundTruth]) -> None:
    made, ground_truth = truth
    submission = parse_submission(lines(made.names, made.centres * 10))
    with pytest.raises(SubmissionError, match="allow_misframed"):
        check_frame(ground_truth, submission)
    _, kept = check_frame(ground_truth, submission, allow_misframed=True)
    assert score(ground_truth, kept, bootstrap=0).localization.TP == 0


def shrec19_slab_picks() -> str:
    """The published model-9 list as picks in slab coordinates (CLASS Z Y X, Z in 0..199),
    each moved by one voxel so that the file is not the list itself."""
    rows = [line.split() for line in SHREC19_LIST.read_text().splitlines() if line.strip()]
    return "".join(f"{r[0]} {int(r[1]) + 1} {r[2]} {r[3]}\n" for r in rows)


def test_shrec19_slab_z_is_detected_and_scored() -> None:
    picks = parse_submission(shrec19_slab_picks(), profile="shrec19")
    fixed = load_ground_truth(SHREC19_LIST, "shrec19", z_offset=156)
    found = diagnose(fixed, picks)
    assert found is not None
    assert found.diagnosis == (
        "looks like slab Z, but the profile expects tomogram Z (use --z-offset 0)"
    )
    naive = score(fixed, picks, bootstrap=0).localization.f1
    assert naive < 0.1  # what the default offset made of it
    truth, adapted = check_frame(fixed, picks)
    assert truth.options["z_offset"] == 0
    assert any("slab coordinates" in note for note in adapted.conversion)
    assert score(truth, adapted, bootstrap=0).localization.f1 > 0.95


def test_cli_refuses_with_the_diagnosis_and_scores_when_allowed(
    tmp_path: Path, truth: tuple[ff.Truth, GroundTruth]
) -> None:
    made, _ = truth
    picks = tmp_path / "picks.txt"
    picks.write_text(lines(made.names, made.centres[:, ::-1]))
    refused = CliRunner().invoke(main, ["evaluate", str(made.folder), str(picks)])
    assert refused.exit_code == 1
    assert "columns look like Z Y X" in refused.stderr
    allowed = CliRunner().invoke(
        main,
        ["evaluate", str(made.folder), str(picks), "--allow-misframed", "--bootstrap", "0"],
    )
    assert allowed.exit_code == 0, allowed.output


def test_cli_shrec19_reads_slab_z_itself(tmp_path: Path) -> None:
    picks = tmp_path / "picks.txt"
    picks.write_text(shrec19_slab_picks())
    result = CliRunner().invoke(
        main,
        ["evaluate", str(SHREC19_LIST), str(picks), "--profile", "shrec19", "--bootstrap", "0"],
    )
    assert result.exit_code == 0, result.output
    assert "converted: Z read as SHREC'19 slab coordinates" in result.stdout.splitlines()[2]
    forced = CliRunner().invoke(
        main,
        ["evaluate", str(SHREC19_LIST), str(picks), "--profile", "shrec19", "--z-offset", "156"],
    )
    assert forced.exit_code == 1
    assert "use --z-offset 0" in forced.stderr


def test_shrec19_tomogram_z_is_the_default_and_not_misframed() -> None:
    rows = [line.split() for line in SHREC19_LIST.read_text().splitlines() if line.strip()]
    text = "".join(f"{r[0]} {int(r[1]) + 156} {r[2]} {r[3]}\n" for r in rows)
    picks = parse_submission(text, profile="shrec19")
    truth = load_ground_truth(SHREC19_LIST, "shrec19")
    assert diagnose(truth, picks) is None
    kept, same = check_frame(truth, picks)
    assert kept is truth
    assert same.conversion == ()
    assert score(kept, same, bootstrap=0).localization.f1 == 1.0

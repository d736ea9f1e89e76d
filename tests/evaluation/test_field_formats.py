"""The field's pick formats: each, written by an independent writer, scores as the native file.

Formats: copick, CZ Data Portal, Kaggle/CZII, RELION 5, RELION 4 / pytom-match-pick,
Dynamo, DeepFinder; plus auto-detection, forced formats, unit and origin conversions, the
angle conventions on hand-computed poses, and the messages of bad files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.spatial.transform import Rotation

from app.cli import main
from evaluation import GroundTruth, SubmissionError, load_ground_truth, parse_submission, score
from evaluation.formats import Frame
from evaluation.submission import Submission
from tests.evaluation import field_formats as ff

MULTI_CLASS: dict[str, Callable[[ff.Truth], str]] = {
    "copick": ff.copick_json,
    "kaggle": ff.kaggle_csv,
    "relion5": ff.relion5_star,
    "dynamo": ff.dynamo_tbl,
    "deepfinder": ff.deepfinder_xml,
}
SINGLE_CLASS: dict[str, Callable[[ff.Truth], str]] = {
    "portal": ff.portal_ndjson,
    "relion4": ff.pytom_star,
}


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> tuple[ff.Truth, GroundTruth]:
    truth = ff.make_truth(tmp_path_factory.mktemp("multi"))
    return truth, load_ground_truth(truth.folder)


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> tuple[ff.Truth, GroundTruth]:
    truth = ff.make_truth(tmp_path_factory.mktemp("single"), classes=("4b4t",), seed=5)
    return truth, load_ground_truth(truth.folder)


def frame_of(ground_truth: GroundTruth) -> Frame:
    return Frame(ground_truth.voxel_size, ground_truth.submission_shape)


def scored(ground_truth: GroundTruth, submission: Submission) -> dict[str, Any]:
    return score(ground_truth, submission, bootstrap=0).to_dict()


def close(left: Any, right: Any) -> bool:
    """Equal documents, floats within 1e-9 (distances after a unit conversion)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(close(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(close, left, right))
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= 1e-9
    return bool(left == right)


def assert_same_as_native(document: dict[str, Any], native: dict[str, Any]) -> None:
    assert document["localization"]["f1"] == 1.0
    for key in ("localization", "classification", "size_groups", "fbeta"):
        assert close(document[key], native[key]), key
    orientation = document["orientation"]
    if orientation is not None:  # Kaggle CSV holds no poses
        assert orientation["count"] == native["orientation"]["count"]
        assert orientation["mean"] < 0.01  # degrees: the poses round-trip


def test_ground_truth_declares_its_voxel_size(multi: tuple[ff.Truth, GroundTruth]) -> None:
    _, ground_truth = multi
    assert ground_truth.voxel_size == pytest.approx(10.0)
    assert ground_truth.submission_shape == ff.SHAPE


@pytest.mark.parametrize("name", list(MULTI_CLASS))
def test_multi_class_format_scores_as_the_native_file(
    name: str, multi: tuple[ff.Truth, GroundTruth]
) -> None:
    truth, ground_truth = multi
    native = scored(ground_truth, parse_submission(ff.native_text(truth)))
    submission = parse_submission(MULTI_CLASS[name](truth), frame=frame_of(ground_truth))
    assert submission.format == name  # detected from the content alone
    assert_same_as_native(scored(ground_truth, submission), native)


@pytest.mark.parametrize("name", list(SINGLE_CLASS))
def test_single_class_format_takes_the_uploads_class(
    name: str, single: tuple[ff.Truth, GroundTruth]
) -> None:
    truth, ground_truth = single
    native = scored(ground_truth, parse_submission(ff.native_text(truth)))
    text = SINGLE_CLASS[name](truth)
    with pytest.raises(SubmissionError, match="no class column: give the class"):
        parse_submission(text, frame=frame_of(ground_truth))
    submission = parse_submission(text, frame=frame_of(ground_truth), class_name="4b4t")
    assert submission.format == name
    assert_same_as_native(scored(ground_truth, submission), native)


def test_copick_object_name_is_the_class(single: tuple[ff.Truth, GroundTruth]) -> None:
    truth, ground_truth = single
    text = ff.copick_json(truth)[1:-1]  # the one document, not a list
    submission = parse_submission(text, frame=frame_of(ground_truth))
    assert set(submission.class_names) == {"4b4t"}
    assert scored(ground_truth, submission)["localization"]["f1"] == 1.0


def test_pytom_scores_are_lccmax(single: tuple[ff.Truth, GroundTruth]) -> None:
    truth, ground_truth = single
    submission = parse_submission(
        ff.pytom_star(truth), frame=frame_of(ground_truth), class_name="4b4t"
    )
    assert submission.scores is not None
    assert submission.scores[0] == pytest.approx(0.9)
    assert submission.scores[-1] == pytest.approx(0.3)


def test_conversions_are_reported(multi: tuple[ff.Truth, GroundTruth]) -> None:
    truth, ground_truth = multi
    submission = parse_submission(ff.relion5_star(truth), frame=frame_of(ground_truth))
    document = scored(ground_truth, submission)
    assert document["submission"]["format"] == "relion5"
    conversion = " | ".join(document["submission"]["conversion"])
    assert "divided by the voxel size 10 Å" in conversion
    assert "corner origin (+ size / 2: x 60, y 50, z 30 voxels)" in conversion
    assert "RELION angles" in conversion


def test_a_voxel_lands_on_the_right_voxel_from_every_unit_and_origin() -> None:
    frame = Frame(voxel_size=10.0, shape=(60, 100, 120))
    expected = [[12.0, 34.0, 5.0]]
    kaggle = "experiment,particle_type,x,y,z\nTS_1,1bxn,120,340,50\n"
    centred = (
        "data_\nloop_\n_rlnCenteredCoordinateXAngst\n_rlnCenteredCoordinateYAngst\n"
        "_rlnCenteredCoordinateZAngst\n_rlnClassName\n-480 -160 -250 1bxn\n"
    )
    binned = (
        "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n"
        "_rlnDetectorPixelSize\n6 17 2.5 20\n"
    )
    plain_binned = "1bxn 3 8.5 1.25\n"
    assert parse_submission(kaggle, frame=frame).coords.tolist() == expected
    assert parse_submission(centred, frame=frame).coords.tolist() == expected
    declared = parse_submission(binned, frame=frame, class_name="1bxn")
    assert declared.coords.tolist() == expected
    assert "pixels of 20 Å scaled to voxels of 10 Å (x 2)" in declared.conversion
    given = parse_submission(plain_binned, frame=frame, pixel_size=40.0)
    assert given.coords.tolist() == expected


def test_angle_conventions_on_hand_computed_poses() -> None:
    """A pose of +90° about z (x goes to y) written in each format's own convention."""
    frame = Frame(voxel_size=10.0, shape=(60, 100, 120))
    # RELION's matrix rotates the particle onto the reference: rot = -90 for this pose
    relion = (
        "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n_rlnAngleRot\n"
        "_rlnAngleTilt\n_rlnAnglePsi\n1 2 3 -90 0 0\n"
    )
    row = ["0"] * 35
    row[6] = "-90"  # Dynamo tdrot: the pose is zxz(tdrot, tilt, narot) inverted (copick)
    row[21], row[23], row[24], row[25] = "1", "1", "2", "3"
    dynamo = " ".join(row) + "\n"
    deepfinder = (
        '<objlist><object class_label="1" x="1" y="2" z="3" phi="90" the="0" psi="0"/></objlist>'
    )
    portal = (
        '{"location": {"x": 1, "y": 2, "z": 3}, '
        '"xyz_rotation_matrix": [[0, -1, 0], [1, 0, 0], [0, 0, 1]]}\n'
    )
    template = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]])  # asymmetric
    rotated = np.array([[0.0, 1.0, 0.0], [-2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])  # the pose's image
    for text, extra in (
        (relion, {"class_name": "1bxn"}),
        (dynamo, {}),
        (deepfinder, {}),
        (portal, {"class_name": "1bxn"}),
    ):
        submission = parse_submission(text, frame=frame, **extra)
        assert submission.angles is not None
        assert submission.angle_convention == "zxz"
        pose = Rotation.from_euler("ZXZ", submission.angles[0], degrees=True)
        assert np.allclose(pose.apply(template), rotated, atol=1e-9), submission.format


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    text = "1bxn 6 8 12\n"
    with pytest.raises(SubmissionError, match="not valid JSON"):
        parse_submission(text, format="copick")
    with pytest.raises(SubmissionError, match="unknown format 'xyz'"):
        parse_submission(text, format="xyz")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        (
            "experiment,particle_type,x,y,z\nTS_1,1bxn,1,2,3\nTS_1,1bxn,1,abc,3\n",
            {},
            "line 3: y coordinate 'abc' is not a number",
        ),
        (
            "experiment,particle_type,x,y,z\nTS_1,1bxn,1,2,3\nTS_2,1bxn,1,2,3\n",
            {},
            r"picks of 2 tomograms \(TS_1, TS_2\); submit the picks of the test tomogram only",
        ),
        (
            "data_\nloop_\n_rlnCenteredCoordinateXAngst\n_rlnCenteredCoordinateYAngst\n"
            "_rlnCenteredCoordinateZAngst\n1 2 3\n4 nan 6\n",
            {"class_name": "1bxn"},
            "line 7: _rlnCenteredCoordinateYAngst 'nan' is not a finite number",
        ),
        (
            "1 2 3 " + "0 " * 22 + "\n",
            {"format": "dynamo"},
            "line 1: 25 columns; a Dynamo table row has at least 26",
        ),
        (
            '<objlist>\n<object x="1" y="2" z="3"/>\n</objlist>\n',
            {},
            "line 2: <object> without class_label",
        ),
        ("<objlist>\n<object class_label='1' x='1'\n", {}, "not well-formed XML"),
        (
            '{"pickable_object_name": "1bxn", "points": [{"location": {"x": 1, "y": 2, "z": 3},'
            ' "transformation_": [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]}]}',
            {},
            r"points\[0\].transformation_ does not hold a rotation",
        ),
        (
            '{"location": {"x": 1, "y": "a", "z": 3}}\n',
            {"class_name": "1bxn"},
            "line 1: location.y 'a'",
        ),
        (
            "experiment,particle_type,x,y,z\nTS_1,1bxn,1,2,3\n",
            {},
            "coordinates in Å need a voxel size",
        ),
        ('<!DOCTYPE x [<!ENTITY a "b">]><objlist/>', {}, "DOCTYPE or entities"),
    ],
)
def test_bad_files_are_named_by_line(text: str, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SubmissionError, match=message):
        parse_submission(text, **extra)


def test_convert_round_trips_through_every_format(
    tmp_path: Path, multi: tuple[ff.Truth, GroundTruth]
) -> None:
    truth, _ = multi
    source = tmp_path / "picks.txt"
    source.write_text(ff.native_text(truth))
    original = parse_submission(source)
    size = [str(side) for side in ff.SHAPE[::-1]]
    for name in ("text", "csv", "star", "kaggle", "relion5", "relion4", "dynamo", "deepfinder"):
        middle, back = tmp_path / f"picks.{name}", tmp_path / f"back_{name}.txt"
        runner = CliRunner()
        first = runner.invoke(
            main,
            [
                "convert",
                str(source),
                str(middle),
                "--to",
                name,
                "--pixel-size",
                "10",
                "--size",
                *size,
            ],
        )
        assert first.exit_code == 0, first.output
        second = runner.invoke(
            main,
            [
                "convert",
                str(middle),
                str(back),
                "--to",
                "text",
                "--pixel-size",
                "10",
                "--size",
                *size,
            ],
        )
        assert second.exit_code == 0, second.output
        again = parse_submission(back)
        assert again.class_names == original.class_names, name
        assert np.allclose(again.coords, original.coords, atol=1e-6), name
        if name != "kaggle":  # Kaggle CSV holds no poses
            assert again.angles is not None
            assert original.angles is not None
            errors = (
                Rotation.from_euler("ZXZ", again.angles, degrees=True).inv()
                * Rotation.from_euler("ZXZ", original.angles, degrees=True)
            ).magnitude()
            assert np.degrees(errors).max() < 0.01, name


def test_convert_to_copick_one_class_at_a_time(
    tmp_path: Path, single: tuple[ff.Truth, GroundTruth]
) -> None:
    truth, ground_truth = single
    source = tmp_path / "picks.txt"
    source.write_text(ff.native_text(truth))
    out = tmp_path / "picks.json"
    result = CliRunner().invoke(
        main, ["convert", str(source), str(out), "--to", "copick", "--pixel-size", "10"]
    )
    assert result.exit_code == 0, result.output
    submission = parse_submission(out, frame=frame_of(ground_truth))
    assert scored(ground_truth, submission)["localization"]["f1"] == 1.0
    portal = tmp_path / "picks.ndjson"
    result = CliRunner().invoke(main, ["convert", str(source), str(portal), "--to", "portal"])
    assert result.exit_code == 0, result.output
    back = parse_submission(portal, frame=frame_of(ground_truth), class_name="4b4t")
    assert back.format == "portal"
    assert scored(ground_truth, back)["localization"]["f1"] == 1.0
    refused = CliRunner().invoke(main, ["convert", str(source), str(out), "--to", "kaggle"])
    assert refused.exit_code == 1
    assert "give the voxel size (--pixel-size)" in refused.stderr


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("[" * 200_000, {}, "JSON nested too deeply"),
        (
            "experiment,particle_type,x,y,z\nTS,1bxn," + "1" * 200_000 + ",2,3\n",
            {},
            "not readable as CSV",
        ),
        (
            "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n"
            "_rlnDetectorPixelSize\n1e308 1 1 1e10\n",
            {"class_name": "1bxn", "frame": Frame(10.0, (10, 10, 10))},
            "line 7: a coordinate is too large once converted",
        ),
    ],
)
def test_hostile_files_are_refused_not_crashed(
    text: str, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(SubmissionError, match=message):
        parse_submission(text, **extra)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[ff.Truth, GroundTruth]:
    """A tomogram of the simulator itself (48³ voxels of 10 Å, 12 particles)."""
    out = tmp_path_factory.mktemp("simulated")
    arguments = ["simulate", "--out", str(out), "--size", "48", "--slab", "32"]
    result = CliRunner().invoke(main, [*arguments, "--tomograms", "1", "--particles", "12"])
    assert result.exit_code == 0, result.output
    folder = out / "model_0"
    rows = [line.split() for line in (folder / "particle_locations.txt").read_text().splitlines()]
    truth = ff.Truth(
        folder,
        [row[0] for row in rows],
        np.array([[float(v) for v in row[1:4]] for row in rows]),
        np.array([[float(v) for v in row[4:7]] for row in rows]),
    )
    return truth, load_ground_truth(folder)


@pytest.mark.parametrize("name", list(MULTI_CLASS))
def test_a_simulated_tomograms_truth_in_each_format_scores_as_native(
    name: str, simulated: tuple[ff.Truth, GroundTruth]
) -> None:
    truth, ground_truth = simulated
    assert ground_truth.voxel_size == pytest.approx(ff.VOXEL)
    shape = ground_truth.submission_shape
    native = scored(ground_truth, parse_submission(ff.native_text(truth)))
    text = MULTI_CLASS[name](truth) if name != "relion5" else ff.relion5_star(truth, shape)
    submission = parse_submission(text, frame=frame_of(ground_truth))
    assert submission.format == name
    assert_same_as_native(scored(ground_truth, submission), native)

"""The CZII hidden test of a real-data track: its files read back to the same points and
table, the public/private cut is exact (every reference in one part, found references
found in their own part), and misframed files are diagnosed."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from evaluation import SubmissionError
from evaluation.czii import (
    PARAMETERS_KEY,
    SOLUTION,
    CziiHiddenTest,
    CziiParameters,
    CziiPoints,
    check_czii_frame,
    czii_score,
    load_czii_hidden_test,
    points_csv,
    read_czii_points,
    split_czii,
)

TABLE = CziiParameters(
    radii={"apo-ferritin": 60.0, "ribosome": 150.0}, weights={"apo-ferritin": 1.0, "ribosome": 2.0}
)
GRID = (64, 200, 300)  # z, y, x voxels of 10 Å


def _run_points(run: str, count: int, seed: int) -> CziiPoints:
    rng = np.random.default_rng(seed)
    coords = rng.uniform([0, 0, 0], [3000, 2000, 640], (count, 3))
    types = [("apo-ferritin", "ribosome")[i % 2] for i in range(count)]
    return CziiPoints([run] * count, types, coords, list(range(2, count + 2)))


def _write_run(folder: Path, points: CziiPoints) -> None:
    folder.mkdir(parents=True)
    (folder / SOLUTION).write_text(points_csv(points))
    (folder / "metadata.json").write_text(json.dumps({PARAMETERS_KEY: TABLE.document()}))
    with mrcfile.new(folder / "reconstruction.mrc") as mrc:
        mrc.set_data(np.zeros(GRID, dtype=np.float32))
        mrc.voxel_size = 10.0


def _hidden(tmp_path: Path, runs: dict[str, CziiPoints]) -> CziiHiddenTest:
    for name, points in runs.items():
        _write_run(tmp_path / name, points)
    return load_czii_hidden_test({name: tmp_path / name for name in runs})


def test_the_files_read_back_to_the_same_points_and_table(tmp_path: Path) -> None:
    points = _run_points("TS_1", 40, 1)
    hidden = _hidden(tmp_path, {"TS_1": points})
    assert hidden.solution.coords.tolist() == points.coords.tolist()  # every bit
    assert hidden.solution.types == points.types
    assert hidden.parameters == TABLE
    assert hidden.extents == {"TS_1": (3000.0, 2000.0, 640.0)}
    # the checksum covers the points and the table
    (tmp_path / "TS_1" / "metadata.json").write_text(
        json.dumps({PARAMETERS_KEY: {**TABLE.document(), "beta": 2.0}})
    )
    assert load_czii_hidden_test({"TS_1": tmp_path / "TS_1"}).checksum != hidden.checksum


def test_a_solution_naming_another_run_is_refused(tmp_path: Path) -> None:
    _write_run(tmp_path / "TS_1", _run_points("TS_2", 4, 1))
    with pytest.raises(ValueError, match="every point must name the run 'TS_1'"):
        load_czii_hidden_test({"TS_1": tmp_path / "TS_1"})


@pytest.mark.parametrize("seed", range(5))
def test_one_run_is_cut_by_a_checkerboard_that_loses_no_reference(
    tmp_path: Path, seed: int
) -> None:
    references = _run_points("TS_1", 60, seed)
    hidden = _hidden(tmp_path, {"TS_1": references})
    split = split_czii(hidden, seed)
    assert split is not None
    assert split.public_runs is None
    rng = np.random.default_rng(100 + seed)
    found = references.coords[::2] + rng.normal(0, 10, (30, 3))  # near half the references
    noise = rng.uniform([0, 0, 0], [3000, 2000, 640], (20, 3))
    picks = CziiPoints(
        ["TS_1"] * 50,
        [references.types[i] for i in range(0, 60, 2)] + ["ribosome"] * 20,
        np.vstack([found, noise]),
        list(range(2, 52)),
    )
    parts = split.score(picks)
    whole = czii_score(hidden.solution, picks, TABLE)
    for name, counts in whole.per_class.items():
        public = parts["public"]["czii"]["per_class"].get(name, {"tp": 0, "fp": 0, "fn": 0})
        private = parts["private"]["czii"]["per_class"].get(name, {"tp": 0, "fp": 0, "fn": 0})
        # each reference is in one part and is found there when it is found at all
        assert public["tp"] + private["tp"] == counts.tp
        assert public["fn"] + private["fn"] == counts.fn
        assert public["fp"] + private["fp"] == counts.fp
    # both parts sample the run: each holds found references
    for part in parts.values():
        assert sum(c["tp"] for c in part["czii"]["per_class"].values()) > 0


def test_two_runs_are_cut_by_run(tmp_path: Path) -> None:
    hidden = _hidden(
        tmp_path, {"TS_1": _run_points("TS_1", 10, 1), "TS_2": _run_points("TS_2", 10, 2)}
    )
    split = split_czii(hidden, 7)
    assert split is not None
    assert split.public_runs is not None
    assert len(split.public_runs) == 1
    parts = split.score(hidden.solution)
    assert parts["public"]["czii"]["experiments"] == sorted(split.public_runs)
    assert parts["public"]["czii"]["score"] == 1.0
    assert parts["private"]["czii"]["score"] == 1.0


def test_misframed_files_are_diagnosed(tmp_path: Path) -> None:
    references = _run_points("TS_1", 40, 3)
    hidden = _hidden(tmp_path, {"TS_1": references})
    voxels = CziiPoints(references.experiments, references.types, references.coords / 10, [1] * 40)
    with pytest.raises(SubmissionError, match="look like voxels, not Å"):
        check_czii_frame(hidden, voxels)
    check_czii_frame(hidden, voxels, allow_misframed=True)  # scored anyway when asked
    shifted = CziiPoints(
        references.experiments, references.types, references.coords + 5000, [1] * 40
    )
    with pytest.raises(SubmissionError, match="40 of 40 points lie outside the tomogram"):
        check_czii_frame(hidden, shifted)
    check_czii_frame(hidden, references)  # the references themselves are fine
    a_few_outside = references.coords.copy()
    a_few_outside[:3] += 5000
    check_czii_frame(
        hidden, CziiPoints(references.experiments, references.types, a_few_outside, [1] * 40)
    )


def test_an_upload_is_read_from_bytes_within_its_limits() -> None:
    data = points_csv(_run_points("TS_1", 5, 1)).encode()
    assert len(read_czii_points(data)) == 5
    with pytest.raises(SubmissionError, match="the file has 6 lines; the limit is 3"):
        read_czii_points(data, max_lines=3)
    with pytest.raises(SubmissionError, match="not UTF-8"):
        read_czii_points(b"experiment,particle_type,x,y,z\nTS_1,\xff,1,2,3\n")

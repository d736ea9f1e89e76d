"""The published SHREC layouts (docs/evaluation.md, profiles), on the real SHREC'19 list and on
small hand-made SHREC'20 / SHREC'21 folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation import GroundTruth, GroundTruthError, load_ground_truth, score
from evaluation.classes import SHREC19_BOX_SIDES
from tests.evaluation.helpers import picks, write_mrc, write_native

SHREC19 = Path(__file__).parents[1] / "data" / "shrec19"
REAL_LIST = SHREC19 / "particle_locations_model_9.txt"


@pytest.fixture(scope="module")
def model_9() -> GroundTruth:
    """The real SHREC'19 test list, its hitbox rebuilt (the folder holds no hitbox_9.mrc)."""
    return load_ground_truth(SHREC19, "shrec19")


def real_rows() -> list[list[str]]:
    return [line.split() for line in REAL_LIST.read_text().splitlines() if line.strip()]


def test_shrec19_real_list_loads_with_rebuilt_boxes(model_9: GroundTruth) -> None:
    assert model_9.n_particles == 2540
    assert model_9.shape == (200, 512, 512)
    rows = real_rows()
    # every box is whole or clipped by the volume, and no two overlap (the 2019 generator
    # kept them apart): the label count of each particle is its clipped cube's volume
    counts = np.bincount(model_9.hitbox.ravel(), minlength=2541)[1:]
    for label, (name, *zyx) in enumerate(rows[:200], start=1):
        side = SHREC19_BOX_SIDES[name]
        extent = [
            min(c + side // 2 + side % 2, n) - max(c - side // 2, 0)
            for c, n in zip(map(int, zyx[:3]), model_9.shape, strict=True)
        ]
        assert counts[label - 1] == np.prod(extent), label
        z, y, x = map(int, zyx[:3])
        assert model_9.hitbox[z, y, x] == label


def test_shrec19_perfect_submission_in_tomogram_coordinates(model_9: GroundTruth) -> None:
    lines = [
        f"{name} {int(z) + 156} {y} {x} {r1} {r2} {r3}" for name, z, y, x, r1, r2, r3 in real_rows()
    ]
    result = score(model_9, picks(*lines, profile="shrec19"), bootstrap=0)
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.FN, loc.MH, loc.RO) == (2540, 2540, 0, 0, 0, 0)
    assert (loc.f1, loc.AD) == (1.0, 0.0)
    assert all(s.f1 == 1.0 for s in result.classification.per_class.values())
    assert result.size_groups == {"tiny": 1.0, "small": 1.0, "medium": 1.0, "large": 1.0}
    # the same TOM angles on both sides: no orientation error
    assert result.orientation is not None
    assert result.orientation.count == 2540
    assert result.orientation.mean == pytest.approx(0.0, abs=1e-6)


def test_shrec19_ground_truth_coordinates_and_padding() -> None:
    rows = real_rows()[:50]
    in_slab = [f"{name} {z} {y} {x}" for name, z, y, x, *_ in rows]
    padded = [f"{name} {int(z) + 10} {int(y) + 10} {int(x) + 10}" for name, z, y, x, *_ in rows]
    for lines, options in ((in_slab, {"z_offset": 0}), (padded, {"z_offset": 0, "padding": 10})):
        truth = load_ground_truth(REAL_LIST, "shrec19", **options)  # the file itself as GT
        loc = score(truth, picks(*lines, profile="shrec19"), bootstrap=0).localization
        assert (loc.TP, loc.FP, loc.AD) == (50, 0, 0.0)


@pytest.fixture
def small_shrec19(tmp_path: Path) -> Path:
    folder = tmp_path / "shrec19"
    folder.mkdir()
    (folder / "particle_locations_model_3.txt").write_text(
        "1s3x 10 10 10 0 0 0\n1bxn 30 30 30 10 20 30\n"
    )
    return folder


@pytest.mark.parametrize(
    ("z", "hit"),
    [(6, True), (13, True), (5, False), (14, False), (24, True), (36, True), (37, False)],
)
def test_shrec19_box_is_half_open_around_the_centre(small_shrec19: Path, z: int, hit: bool) -> None:
    # 1s3x (side 8) spans [10 - 4, 10 + 4) = 6..13; 1bxn (side 13) spans [30 - 6, 30 + 7)
    truth = load_ground_truth(small_shrec19, "shrec19", shape=(40, 40, 40))
    y = x = 10 if z < 20 else 30
    result = score(truth, picks(f"1bxn {z + 156} {y} {x}", profile="shrec19"), bootstrap=0)
    found = result.localization.TP
    assert found == int(hit)


def test_shrec19_hitbox_file_is_used_unless_rebuilt(small_shrec19: Path) -> None:
    rebuilt = load_ground_truth(small_shrec19, "shrec19", shape=(40, 40, 40))
    hitbox = np.array(rebuilt.hitbox)
    hitbox[hitbox == 2] = 0  # a published hitbox in which particle 2 has no voxels
    write_mrc(small_shrec19 / "hitbox_3.mrc", hitbox)
    submission = picks("1bxn 186 30 30", profile="shrec19")
    from_file = load_ground_truth(small_shrec19, "shrec19", memory_map=True)
    assert isinstance(from_file.hitbox, np.memmap)
    assert score(from_file, submission, bootstrap=0).localization.TP == 0
    forced = load_ground_truth(small_shrec19, "shrec19", rebuild_hitbox=True, shape=(40, 40, 40))
    assert score(forced, submission, bootstrap=0).localization.TP == 1


def test_shrec19_folder_errors(tmp_path: Path, small_shrec19: Path) -> None:
    with pytest.raises(GroundTruthError, match="no particle_locations_model_"):
        load_ground_truth(tmp_path / "shrec19" / "..", "shrec19")
    (small_shrec19 / "particle_locations_model_4.txt").write_text("1s3x 10 10 10 0 0 0\n")
    with pytest.raises(GroundTruthError, match="several lists"):
        load_ground_truth(small_shrec19, "shrec19")
    (small_shrec19 / "particle_locations_model_4.txt").write_text("1s3x 10.5 10 10 0 0 0\n")
    with pytest.raises(GroundTruthError, match=r"line 1: '10\.5' is not a whole number"):
        load_ground_truth(small_shrec19 / "particle_locations_model_4.txt", "shrec19")


@pytest.fixture
def shrec20(tmp_path: Path) -> Path:
    """A 6-slice slab: a 1bxn voxel at x 2 and a 4cr2 pair at x 4..5 (y 2, z 2)."""
    mask = np.zeros((6, 8, 10), dtype=np.int16)
    mask[2, 2, 2] = 1
    mask[2, 2, 4:6] = 2
    return write_native(tmp_path / "shrec20", mask, ["1bxn 2 2 2 0 0 0", "4cr2 4 2 2 0 0 0"])


def test_shrec20_dilation_padding_and_first_hit_distance(shrec20: Path) -> None:
    truth = load_ground_truth(shrec20, "shrec20", slab_padding=4)
    assert truth.shape == (14, 8, 10)
    result = score(
        truth,
        picks(
            "1bxn 1 2 6",  # one voxel beside particle 1 along x: inside the dilated mask
            "1bxn 1 1 6",  # diagonal neighbour: the 6-connected cross does not reach it
            "1bxn 3 2 6",  # between the particles: the larger label (2) wins
            "1bxn 2 2 1",  # above the slab: background, and a warning
            "4cr2 4 2 6",  # a second hit on particle 2
            profile="shrec20",
        ),
        bootstrap=0,
    )
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.MH) == (5, 2, 2, 1)
    # AD over first hits (SHREC'20): both first hits are one voxel from their centres
    assert loc.AD == loc.AD_first == 1.0
    assert loc.AD_all == pytest.approx(2 / 3)
    assert result.classification.per_class["4cr2"].fn == 1  # first hit said 1bxn
    assert any("outside the sample slab (z 4..9" in warning for warning in result.warnings)


def test_shrec20_default_padding_is_156(shrec20: Path) -> None:
    truth = load_ground_truth(shrec20, "shrec20")
    assert truth.shape == (6 + 2 * 156, 8, 10)
    assert truth.particles.centres[0].tolist() == [2, 2, 158]


@pytest.fixture
def shrec21(tmp_path: Path) -> Path:
    mask = np.zeros((6, 8, 10), dtype=np.int16)
    for label, (x, y) in enumerate([(2, 2), (6, 2), (2, 6), (6, 6)], start=1):
        mask[2, y, x] = label
    lines = ["4V94 2 2 2 0 0 0", "vesicle 6 2 2 0 0 0", "1BXN 2 6 2 0 0 0", "fiducial 6 6 2"]
    return write_native(tmp_path / "shrec21", mask, lines)


def test_shrec21_excluded_classes_leave_n_and_their_hits_are_ignored(shrec21: Path) -> None:
    truth = load_ground_truth(shrec21, "shrec21")
    assert (len(truth.particles), truth.n_particles) == (4, 2)
    submission = picks(
        "1bxn 2 6 2",  # TP
        "4v94 2 2 2",  # on an excluded particle: ignored, but counted in RR
        "vesicle 6 6 2",  # finds the fiducial, but an excluded label classifies as none
        "fiducial 9 0 5",  # background
        profile="shrec21",
    )
    result = score(truth, submission, bootstrap=0)
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.FN, loc.ignored, loc.N) == (4, 2, 1, 0, 1, 2)
    assert (loc.precision, loc.recall) == (0.5, 1.0)
    predictions = loc.RR
    assert predictions == loc.FP + loc.TP + loc.ignored
    fiducial = result.classification.per_class["fiducial"]
    assert (fiducial.tp, fiducial.fn) == (0, 1)
    assert result.classification.per_class["1bxn"].f1 == 1.0


def test_shrec21_exclusions_are_an_option(shrec21: Path) -> None:
    truth = load_ground_truth(shrec21, "shrec21", excluded=())
    assert truth.n_particles == 4
    with pytest.raises(GroundTruthError, match="excluded class '9xyz' is not a SHREC'21 class"):
        load_ground_truth(shrec21, "shrec21", excluded=["9xyz"])

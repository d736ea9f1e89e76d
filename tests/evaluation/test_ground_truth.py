"""Loading native ground truths: checksums, memory maps, and clear errors for bad folders."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import GroundTruthError, load_ground_truth, score
from tests.evaluation.helpers import native_truth, picks, small_volume, write_mrc, write_native


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    hitbox, lines = small_volume()
    return write_native(tmp_path / "gt", hitbox, lines)


def failure(path: Path, **options: object) -> str:
    with pytest.raises(GroundTruthError) as caught:
        load_ground_truth(path, **options)  # type: ignore[arg-type]
    return str(caught.value)


def test_loads_particles_hitbox_and_checksum(folder: Path) -> None:
    truth = load_ground_truth(folder)
    assert truth.shape == (6, 8, 10)
    assert truth.n_particles == len(truth.particles) == 4
    assert truth.particles.classes.tolist() == [1, 10, 12, 3]
    assert truth.particles.centres[1].tolist() == [7, 5, 3]  # x, y, z
    assert truth.particles.angles is not None
    assert len(truth.checksum) == 64
    assert int(truth.checksum, 16) >= 0
    assert truth.profile == "native"


def test_checksum_is_stable_and_tracks_content(folder: Path, tmp_path: Path) -> None:
    first, second = load_ground_truth(folder), load_ground_truth(folder / "particle_locations.txt")
    assert first.checksum == second.checksum
    hitbox, lines = small_volume()
    hitbox[0, 0, 0] = 1  # one voxel more for particle 1
    changed = native_truth(tmp_path / "other", hitbox, lines)
    assert changed.checksum != first.checksum
    boxes = load_ground_truth(folder, hitbox="boxes")
    assert boxes.checksum != first.checksum


def test_memory_map_scores_the_same(folder: Path) -> None:
    in_memory = load_ground_truth(folder)
    mapped = load_ground_truth(folder, memory_map=True)
    assert isinstance(mapped.hitbox, np.memmap)
    assert not mapped.hitbox.flags.writeable
    assert mapped.checksum == in_memory.checksum
    submission = picks("1bxn 2 2 2", "3qm1 7 5 3", "1bxn 0 0 0")
    from_map, from_memory = (score(t, submission).to_dict() for t in (mapped, in_memory))
    assert from_map.pop("profile_options") == {"hitbox": "occupancy", "memory_map": True}
    from_memory.pop("profile_options")
    assert from_map == from_memory


def test_float_mask_with_whole_labels_is_accepted(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    truth = native_truth(tmp_path / "gt", hitbox.astype(np.float32), lines)
    assert truth.hitbox.dtype == np.int32
    assert score(truth, picks("1bxn 2 2 2")).localization.TP == 1


def test_float_mask_with_fractions_is_refused(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    folder = write_native(tmp_path / "gt", hitbox.astype(np.float32) * 0.5, lines)
    assert failure(folder) == "occupancy_mask.mrc: labels must be whole numbers (found fractions)"


def test_missing_folder_and_files(tmp_path: Path, folder: Path) -> None:
    assert failure(tmp_path / "nowhere") == f"no such folder: {tmp_path / 'nowhere'}"
    (folder / "occupancy_mask.mrc").unlink()
    assert failure(folder) == f"missing file: {folder / 'occupancy_mask.mrc'}"
    (folder / "particle_locations.txt").unlink()
    assert failure(folder) == f"missing file: {folder / 'particle_locations.txt'}"


def test_not_an_mrc_file(folder: Path) -> None:
    (folder / "occupancy_mask.mrc").write_bytes(b"this is not a volume\n" * 10)
    assert failure(folder).startswith("occupancy_mask.mrc: not a readable MRC file")


def test_truncated_mrc_file(folder: Path) -> None:
    path = folder / "occupancy_mask.mrc"
    path.write_bytes(path.read_bytes()[:-100])
    assert failure(folder).startswith("occupancy_mask.mrc: truncated file")


def test_shape_mismatch_between_hitbox_and_reconstruction(folder: Path) -> None:
    write_mrc(folder / "reconstruction.mrc", np.zeros((6, 8, 12), dtype=np.float32))
    assert failure(folder) == (
        "shape mismatch: occupancy_mask.mrc is z 6 × y 8 × x 10 but reconstruction.mrc is "
        "z 6 × y 8 × x 12"
    )
    write_mrc(folder / "reconstruction.mrc", np.zeros((6, 8, 10), dtype=np.float32))
    assert load_ground_truth(folder).shape == (6, 8, 10)


def test_labels_beyond_the_list(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    folder = write_native(tmp_path / "gt", hitbox, lines[:3])
    assert failure(folder) == (
        f"{folder}: hitbox label 4 lies beyond the particle list, which has 3 particles"
    )


def test_negative_labels(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    hitbox[0, 0, 0] = -1
    assert failure(write_native(tmp_path / "gt", hitbox, lines)).endswith(
        "negative hitbox label -1"
    )


def test_list_that_does_not_belong_to_the_volume(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    lines[1] = "3qm1 70 5 3 10 20 30"
    assert failure(write_native(tmp_path / "gt", hitbox, lines)) == (
        "particle_locations.txt line 2: centre x=70 y=5 z=3 lies outside the hitbox "
        "(x 0..9, y 0..7, z 0..5); the list does not belong to this volume"
    )


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("abcd 7 5 3 0 0 0", "line 2: unknown class 'abcd'"),
        ("3qm1 7 five 3 0 0 0", "line 2: 'five' is not a number"),
        ("3qm1 7 5 nan 0 0 0", "line 2: 'nan' is not a finite number"),
        ("3qm1 7 5 3 0 0", "line 2: expected CLASS X Y Z and optionally three angles, got 6"),
        ("", "line 2: blank or comment line inside the list"),
        ("# a comment", "line 2: blank or comment line inside the list"),
    ],
)
def test_malformed_list_lines(tmp_path: Path, bad_line: str, message: str) -> None:
    hitbox, lines = small_volume()
    lines[1] = bad_line
    assert failure(write_native(tmp_path / "gt", hitbox, lines)).startswith(
        f"particle_locations.txt {message}"
    )


def test_empty_list(tmp_path: Path) -> None:
    hitbox, _ = small_volume()
    folder = write_native(tmp_path / "gt", np.zeros_like(hitbox), ["", ""])
    assert failure(folder) == "particle_locations.txt: no particles (the list is empty)"


def test_trailing_blank_lines_and_missing_angles_are_fine(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    truth = native_truth(
        tmp_path / "gt", hitbox, [" ".join(line.split()[:4]) for line in lines] + ["", "  "]
    )
    assert truth.particles.angles is None
    assert len(truth.particles) == 4


def test_boxes_option_rebuilds_shrec19_cubes(folder: Path) -> None:
    truth = load_ground_truth(folder, hitbox="boxes")
    # 1bxn (side 13) around (2, 2, 2): [2 - 6, 2 + 7) clipped to the volume on every axis,
    # then overwritten where the later particles' cubes cover it
    assert truth.shape == (6, 8, 10)
    # 4d8q (side 19) around (9, 7, 5) covers the whole volume; 1s3x (side 8) around
    # (2, 6, 4) covers x 0..5, y 2..7, z 0..5 and, being later in the list, wins there
    assert truth.hitbox[5, 7, 9] == 3
    assert truth.hitbox[0, 7, 0] == 4
    assert truth.hitbox[0, 0, 9] == 3


def test_boxes_need_a_shape(folder: Path) -> None:
    (folder / "occupancy_mask.mrc").unlink()
    assert "boxes need the volume shape" in failure(folder, hitbox="boxes")


def test_bad_options_and_profiles(folder: Path) -> None:
    with pytest.raises(ValueError, match="unknown option 'z_offset' for profile native"):
        load_ground_truth(folder, z_offset=0)
    with pytest.raises(ValueError, match="option memory_map must be True or False"):
        load_ground_truth(folder, memory_map="yes")
    with pytest.raises(ValueError, match="option hitbox must be 'occupancy' or 'boxes'"):
        load_ground_truth(folder, hitbox="spheres")
    with pytest.raises(ValueError, match="unknown profile 'shrec22'"):
        load_ground_truth(folder, "shrec22")


def test_scoring_a_submission_of_another_profile_is_refused(folder: Path) -> None:
    with pytest.raises(ValueError, match="parsed for profile 'shrec19'"):
        score(load_ground_truth(folder), picks("1bxn 2 2 2", profile="shrec19"))


LIST_TOKENS = st.sampled_from(
    ["1bxn", "4v94", "vesicle", "abc", "1", "2.5", "-1", "nan", " ", "\n", "#", ",", "1e9", "0"]
)


@given(st.binary(max_size=64), st.integers(0, 1200), st.lists(LIST_TOKENS, max_size=30))
@settings(max_examples=200, deadline=None)
def test_damaged_folders_are_refused_with_a_message(
    junk: bytes, position: int, tokens: list[str]
) -> None:
    """Any damage to the mask's bytes or any list text: loaded, or a GroundTruthError."""
    hitbox, _ = small_volume()
    with tempfile.TemporaryDirectory() as name:
        folder = write_native(Path(name), hitbox, [])
        mask = bytearray((folder / "occupancy_mask.mrc").read_bytes())
        mask[position : position + len(junk)] = junk
        (folder / "occupancy_mask.mrc").write_bytes(bytes(mask))
        (folder / "particle_locations.txt").write_text("".join(tokens))
        for profile in ("native", "shrec20", "shrec21"):
            assert load_outcome(folder, profile)


def load_outcome(folder: Path, profile: str) -> str:
    """ "loaded" or the refusal's message; any other exception propagates."""
    try:
        load_ground_truth(folder, profile)
    except GroundTruthError as error:
        return str(error)
    return "loaded"

"""The hitbox-facts cache: the same ground truth and scores with and without it, a changed
file recomputed, a broken or unwritable cache ignored, turned off by the environment."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from evaluation import GroundTruth, GroundTruthError, load_ground_truth, score
from evaluation.ground_truth import file_facts
from evaluation.metrics.bootstrap import resample_weights
from evaluation.misframing import check_frame, diagnose
from tests.evaluation.helpers import picks, small_volume, write_native

AN_HOUR_AGO = time.time() - 3600


def _folder(tmp_path: Path) -> Path:
    hitbox, lines = small_volume()
    folder = write_native(tmp_path / "truth", hitbox, lines)
    _age(folder / "occupancy_mask.mrc", AN_HOUR_AGO)
    return folder


def _age(path: Path, when: float) -> None:
    """Date the file's modification to ``when`` (a file just written is not recorded)."""
    os.utime(path, (when, when))


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "hitbox-facts").glob("*.json"))


def _load(folder: Path) -> GroundTruth:
    truth = load_ground_truth(folder, cache=True)
    diagnose(truth, picks("1bxn 2 2 2"))  # computes the occupied box
    assert len(truth.checksum) == 64  # the checksum, finished and recorded
    return truth


def test_second_load_maps_the_file_and_reads_its_facts(tmp_path: Path, facts_cache: Path) -> None:
    folder = _folder(tmp_path)
    plain = load_ground_truth(folder)
    first = _load(folder)
    (entry,) = _entries(facts_cache)
    facts = json.loads(entry.read_text())["facts"]
    assert facts["unsigned_max"] == 4
    assert facts["occupied_xyz"] == [[1, 9], [1, 7], [1, 5]]
    assert facts["layout"] == [[6, 8, 10], "<i2", 1024]  # shape, data type, data offset
    assert facts["checksums"] == {first._checksum._prefix_hex: plain.checksum}
    second = load_ground_truth(folder, cache=True)
    assert isinstance(second.hitbox, np.memmap)
    assert second.checksum == plain.checksum
    assert np.array_equal(second.hitbox, plain.hitbox)
    # the checksum comes from the entry, not from the voxels: a forged one shows through
    forged = {**facts, "checksums": {first._checksum._prefix_hex: "0" * 64}}
    entry.write_text(json.dumps({"key": json.loads(entry.read_text())["key"], "facts": forged}))
    assert load_ground_truth(folder, cache=True).checksum == "0" * 64


def test_scores_are_the_same_with_and_without_the_cache(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    submission = picks("1bxn 2 2 2 0 0 0", "3qm1 7 5 3 10 20 30", "1s3x 9 1 1 0 0 0")
    expected = score(load_ground_truth(folder), submission).to_dict()
    for _ in range(2):  # recording, then reading
        truth, checked = check_frame(load_ground_truth(folder, cache=True), submission)
        assert score(truth, checked).to_dict() == expected


def test_a_changed_file_of_the_same_size_is_checked_again(
    tmp_path: Path, facts_cache: Path
) -> None:
    folder = _folder(tmp_path)
    first = _load(folder)
    mask = folder / "occupancy_mask.mrc"
    size = mask.stat().st_size
    hitbox, _ = small_volume()
    hitbox[0, 0, 0] = 3  # one more voxel of particle 3: same size, other content
    write_native(folder, hitbox, small_volume()[1])
    _age(mask, AN_HOUR_AGO + 60)
    assert mask.stat().st_size == size
    second = _load(folder)
    assert second.checksum != first.checksum
    assert second.checksum == load_ground_truth(folder).checksum
    facts = json.loads(_entries(facts_cache)[0].read_text())["facts"]
    assert facts["occupied_xyz"] == [[0, 9], [0, 7], [0, 5]]
    hitbox[0, 0, 0] = 9  # a label beyond the list: refused with the cache as without
    write_native(folder, hitbox, small_volume()[1])
    _age(mask, AN_HOUR_AGO + 120)
    for _ in range(2):
        with pytest.raises(GroundTruthError, match="label 9 lies beyond the particle list"):
            load_ground_truth(folder, cache=True)


def test_resample_weights_are_kept_and_checked(tmp_path: Path, facts_cache: Path) -> None:
    folder = _folder(tmp_path)
    drawn = resample_weights(load_ground_truth(folder), 70, 3)
    assert np.array_equal(resample_weights(load_ground_truth(folder, cache=True), 70, 3), drawn)
    (kept,) = (facts_cache / "arrays").glob("bootstrap-weights-4-70-3-*.npy")
    assert np.array_equal(np.load(kept).T, drawn)
    assert np.array_equal(resample_weights(load_ground_truth(folder, cache=True), 70, 3), drawn)
    wrong = np.load(kept)
    wrong[0, 0] += 1  # resample 0 would draw five particles of four
    np.save(kept, wrong)
    assert np.array_equal(resample_weights(load_ground_truth(folder, cache=True), 70, 3), drawn)
    assert np.array_equal(np.load(kept).T, drawn)  # replaced
    kept.write_bytes(b"not an array")
    assert np.array_equal(resample_weights(load_ground_truth(folder, cache=True), 70, 3), drawn)


def test_a_file_just_written_is_not_recorded(tmp_path: Path, facts_cache: Path) -> None:
    folder = _folder(tmp_path)
    _age(folder / "occupancy_mask.mrc", time.time())
    _load(folder)
    assert _entries(facts_cache) == []


@pytest.mark.parametrize("garbage", [b"{not json", b"[]", b'{"key": 1}', b"\xff\xfe"])
def test_a_corrupt_entry_is_ignored_and_replaced(
    tmp_path: Path, facts_cache: Path, garbage: bytes
) -> None:
    folder = _folder(tmp_path)
    expected = load_ground_truth(folder).checksum
    _load(folder)
    (entry,) = _entries(facts_cache)
    entry.write_bytes(garbage)
    assert _load(folder).checksum == expected
    assert _load(folder).checksum == expected
    assert json.loads(entry.read_text())["facts"]["checksums"]


def test_wrong_values_in_an_entry_are_recomputed(tmp_path: Path, facts_cache: Path) -> None:
    folder = _folder(tmp_path)
    expected = load_ground_truth(folder).checksum
    _load(folder)
    (entry,) = _entries(facts_cache)
    stored = json.loads(entry.read_text())
    stored["facts"] = {
        "unsigned_max": "4",
        "occupied_xyz": [[1]],
        "checksums": {"x": 1},
        "layout": [[6, 8, 10], "not a type", 1024],
    }
    entry.write_text(json.dumps(stored))
    assert _load(folder).checksum == expected
    facts = json.loads(entry.read_text())["facts"]
    assert facts["unsigned_max"] == 4
    assert facts["occupied_xyz"] == [[1, 9], [1, 7], [1, 5]]
    assert facts["layout"] == [[6, 8, 10], "<i2", 1024]


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(file_facts.DIRECTORY_VARIABLE, str(blocked))
    assert _load(folder).checksum == load_ground_truth(folder).checksum
    assert blocked.read_text() == "not a folder"


def test_the_environment_turns_the_cache_off(
    tmp_path: Path, facts_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    monkeypatch.setenv(file_facts.DISABLE_VARIABLE, "1")
    truth = _load(folder)
    assert not isinstance(truth.hitbox, np.memmap)
    assert _entries(facts_cache) == []


def test_the_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(file_facts.DIRECTORY_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if os.name == "posix" and os.uname().sysname == "Linux":
        assert file_facts.cache_folder() == tmp_path / "tomobench" / "hitbox-facts"


def test_the_command_line_prints_the_same_document_with_and_without_the_cache(
    tmp_path: Path, facts_cache: Path
) -> None:
    folder = _folder(tmp_path)
    submission = tmp_path / "picks.txt"
    submission.write_text("1bxn 2 2 2 0 0 0\n3qm1 7 5 3 10 20 30\n1s3x 9 1 1 0 0 0\n")

    def document(*extra: str) -> str:
        arguments = ["evaluate", str(folder), str(submission), "--json", *extra]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, result.output
        return result.stdout

    without = document("--no-cache")
    assert _entries(facts_cache) == []
    assert document() == without  # recording
    assert len(_entries(facts_cache)) == 1
    assert document() == without  # reading


def test_the_cache_stays_small(
    tmp_path: Path, facts_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_facts, "_KEEP_ENTRIES", 2)
    hitbox, lines = small_volume()
    for k in range(6):
        folder = write_native(tmp_path / f"truth{k}", hitbox, lines)
        _age(folder / "occupancy_mask.mrc", AN_HOUR_AGO)
        _load(folder)
    assert 2 <= len(_entries(facts_cache)) <= 4
    assert not [p for p in (facts_cache / "hitbox-facts").iterdir() if p.suffix == ".tmp"]

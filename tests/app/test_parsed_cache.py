"""The kept parse of an upload gives back exactly what parsing the file gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.services.parsed_cache import load_parsed, save_parsed
from evaluation import parse_submission

SHA = "ab" * 32
FILES = {
    "plain": b"1bxn 10 10 10\n1s3x 30.5 20 12\n",
    "angles and scores": b"1bxn 1 2 3 10 20 30 0.9\n4d8q 4 5 6 40 50 60 0.1\n",
    "scores only": b"1bxn 1 2 3 0.5\n3qm1 7 8 9 0.25\n",
    "csv": b"class,x,y,z\n1bxn,1,2,3\n1qvr,4,5,6\n",
    "many lines": b"".join(b"1bxn %d 2 3\n" % n for n in range(500)),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_round_trip_equals_a_fresh_parse(tmp_path: Path, name: str) -> None:
    parsed = parse_submission(FILES[name])
    assert load_parsed(tmp_path, SHA) is None
    save_parsed(tmp_path, SHA, parsed)
    loaded = load_parsed(tmp_path, SHA)
    assert loaded is not None
    for field in ("classes", "coords", "angles", "scores", "line_numbers"):
        expected, got = getattr(parsed, field), getattr(loaded, field)
        if expected is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, expected)
            assert got.dtype == expected.dtype
    assert (loaded.profile, loaded.format, loaded.angle_convention) == (
        parsed.profile,
        parsed.format,
        parsed.angle_convention,
    )


def test_damaged_entry_reads_as_missing(tmp_path: Path) -> None:
    save_parsed(tmp_path, SHA, parse_submission(FILES["many lines"]))
    (entry,) = (tmp_path / "parsed").rglob("*.npz")
    whole = entry.read_bytes()
    # entries are not synced to disk: a crash may leave one empty, cut short or zeroed
    for damaged in (
        b"not an npz file",
        b"",
        whole[: len(whole) // 2],
        whole[:100] + bytes(len(whole) // 2) + whole[100 + len(whole) // 2 :],
    ):
        entry.write_bytes(damaged)
        assert load_parsed(tmp_path, SHA) is None

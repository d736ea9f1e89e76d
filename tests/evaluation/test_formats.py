"""Submission parsing (docs/evaluation.md): accepted layouts and every rejection rule."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import SubmissionError, parse_submission


def rejection(data: bytes | str, **options: object) -> SubmissionError:
    with pytest.raises(SubmissionError) as caught:
        parse_submission(data, **options)  # type: ignore[arg-type]
    return caught.value


# ---- accepted ---------------------------------------------------------------------------


def test_plain_lines_with_comments_blank_lines_and_mixed_separators() -> None:
    text = "# picks\n\n1bxn 10 20 30\n  3QM1,1.5, 2.5 ,3.5  \n\t4d8q\t1e1\t-2\t0\n"
    parsed = parse_submission(text)
    assert parsed.class_names == ("1bxn", "3qm1", "4d8q")
    assert parsed.classes.tolist() == [1, 10, 12]
    assert parsed.coords.tolist() == [[10, 20, 30], [1.5, 2.5, 3.5], [10, -2, 0]]
    assert parsed.line_numbers.tolist() == [3, 4, 5]
    assert parsed.angles is None
    assert parsed.scores is None
    assert parsed.format == "text"


def test_bytes_with_bom_and_crlf_line_ends() -> None:
    parsed = parse_submission(b"\xef\xbb\xbf1bxn 1 2 3\r\n1qvr 4 5 6\r\n")
    assert parsed.class_names == ("1bxn", "1qvr")
    assert parsed.line_numbers.tolist() == [1, 2]


def test_five_seven_and_eight_fields() -> None:
    assert parse_submission("1bxn 1 2 3 0.9").scores.tolist() == [0.9]  # type: ignore[union-attr]
    seven = parse_submission("1bxn 1 2 3 10 20 30")
    assert seven.angles.tolist() == [[10, 20, 30]]
    assert seven.scores is None
    eight = parse_submission("1bxn 1 2 3 10 20 30 0.5")
    assert eight.angles.tolist() == [[10, 20, 30]]  # type: ignore[union-attr]
    assert eight.scores.tolist() == [0.5]  # type: ignore[union-attr]
    assert eight.angle_convention == "zxz"


def test_path_input(tmp_path: Path) -> None:
    path = tmp_path / "picks.txt"
    path.write_text("1bxn 1 2 3\n")
    assert len(parse_submission(path)) == 1


def test_shrec19_profile_reads_z_y_x() -> None:
    parsed = parse_submission("1bxn 30 20 10 1 2 3", profile="shrec19")
    assert parsed.coords.tolist() == [[10, 20, 30]]  # stored as x, y, z
    assert parsed.angle_convention == "tom"


def test_csv_with_header_in_any_column_order() -> None:
    text = "score,Z,y,x,class,phi,theta,psi\n0.5,3,2,1,1bxn,10,20,30\n0.25,6,5,4,3qm1,0,0,0\n"
    parsed = parse_submission(text)
    assert parsed.format == "csv"
    assert parsed.coords.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert parsed.scores.tolist() == [0.5, 0.25]  # type: ignore[union-attr]
    assert parsed.angles.tolist() == [[10, 20, 30], [0, 0, 0]]  # type: ignore[union-attr]
    assert parsed.line_numbers.tolist() == [2, 3]


def test_csv_header_names_win_over_the_profile_order() -> None:
    parsed = parse_submission("class,x,y,z,rot1,rot2,rot3\n1bxn,1,2,3,4,5,6\n", profile="shrec19")
    assert parsed.coords.tolist() == [[1, 2, 3]]
    assert parsed.angle_convention == "tom"


STAR = """
# picks from a template matching run
data_optics

loop_
_rlnOpticsGroup #1
_rlnImagePixelSize #2
1 10.0

data_particles

loop_
_rlnCoordinateX #1
_rlnCoordinateY #2
_rlnCoordinateZ #3
_rlnClassName #4
_rlnAngleRot #5
_rlnAngleTilt #6
_rlnAnglePsi #7
_rlnAutopickFigureOfMerit #8
10 20 30 1bxn 0 0 0 0.5

# a comment between rows
11.5 21 31 3QM1 1 2 3 0.7
"""


def test_relion_star() -> None:
    parsed = parse_submission(STAR)
    assert parsed.format == "star"
    assert parsed.angle_convention == "relion"
    assert parsed.class_names == ("1bxn", "3qm1")
    assert parsed.coords.tolist() == [[10, 20, 30], [11.5, 21, 31]]
    assert parsed.scores.tolist() == [0.5, 0.7]  # type: ignore[union-attr]
    assert parsed.line_numbers.tolist() == [21, 24]


def test_star_class_numbers_and_origins() -> None:
    text = (
        "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n_rlnClassNumber\n"
        "_rlnOriginX\n_rlnOriginY\n_rlnOriginZ\n_rlnAutopickFigureOfMerit\n"
        "10 20 30 12 1 -2 0.5 0.75\n"
    )
    parsed = parse_submission(text)
    assert parsed.class_names == ("4d8q",)
    assert parsed.coords.tolist() == [[9, 22, 29.5]]  # coordinate minus origin
    assert parsed.scores is not None
    assert parsed.scores.tolist() == [0.75]


# ---- rejected: one test per rule of docs/evaluation.md, Submissions ----------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n", "\ufeff"])
def test_empty_file(data: bytes | str) -> None:
    error = rejection(data)
    assert error.line is None
    assert str(error) == "no predictions: the file is empty"


def test_only_comments() -> None:
    error = rejection("# nothing here\n\n# still nothing\n")
    assert str(error) == "no predictions: the file holds only comments and blank lines"


def test_header_without_rows() -> None:
    assert "header but no rows" in str(rejection("class,x,y,z\n"))


def test_unknown_class_names_the_line() -> None:
    error = rejection("1bxn 1 2 3\n" * 11 + "abc 1 2 3\n")
    assert str(error) == "line 12: unknown class 'abc'"
    assert (error.line, error.reason) == (12, "unknown class 'abc'")


def test_unknown_class_of_another_profile() -> None:
    assert rejection("4cr2 1 2 3").line == 1  # a SHREC'20 class, not native
    assert len(parse_submission("4cr2 1 2 3", profile="shrec20")) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1bxn 1 2 nan", "line 1: Z coordinate 'nan' is not a finite number"),
        ("1bxn inf 2 3", "line 1: X coordinate 'inf' is not a finite number"),
        ("1bxn 1 -Infinity 3", "line 1: Y coordinate '-Infinity' is not a finite number"),
        ("1bxn 1 2 3x", "line 1: Z coordinate '3x' is not a number"),
        ("1bxn 1 2 3 nan 0 0", "line 1: angle PHI 'nan' is not a finite number"),
        ("1bxn 1 2 3 0 abc 0", "line 1: angle THETA 'abc' is not a number"),
        ("1bxn 1 2 3 0.5e", "line 1: score '0.5e' is not a number"),
        ("1bxn 1,,3 4", "line 1: Y coordinate '(empty)' is not a number"),
    ],
)
def test_values_must_be_finite_numbers(line: str, message: str) -> None:
    assert str(rejection(line)) == message


def test_shrec19_names_the_column_as_written() -> None:
    # in "CLASS Z Y X", the first coordinate is Z
    assert str(rejection("1bxn nan 2 3", profile="shrec19")) == (
        "line 1: Z coordinate 'nan' is not a finite number"
    )


@pytest.mark.parametrize("fields", ["1bxn 1 2", "1bxn 1 2 3 4 5", "1bxn 1 2 3 4 5 6 7 8", "1bxn"])
def test_wrong_number_of_fields(fields: str) -> None:
    error = rejection(fields)
    assert error.line == 1
    assert error.reason.startswith("expected 4, 5, 7 or 8 fields (CLASS X Y Z [PHI THETA PSI]")


def test_lines_must_share_the_columns_of_the_first() -> None:
    error = rejection("1bxn 1 2 3 0.5\n1bxn 1 2 3\n")
    assert str(error) == (
        "line 2: 4 fields, but the first prediction (line 1) has 5; every line needs the same "
        "columns"
    )


def test_csv_row_with_wrong_number_of_fields() -> None:
    assert str(rejection("class,x,y,z\n1bxn,1,2\n")) == (
        "line 2: 3 fields, but the header (line 1) names 4 columns"
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("class,x,y,q", "unknown column 'q'"),
        ("class,x,y", "the header names no 'z' column"),
        ("x,y,z,score", "the header names no class column ('class')"),
        ("class,x,y,z,x", "column 'x' appears twice"),
        ("class,x,y,z,phi,theta", "angle columns incomplete: missing psi"),
        ("class,label,x,y,z", "the header names two class columns"),
    ],
)
def test_bad_csv_headers(header: str, message: str) -> None:
    error = rejection(f"{header}\n1bxn,1,2,3,4,5\n")
    assert error.line == 1
    assert error.reason.startswith(message)


def test_binary_nul_bytes() -> None:
    error = rejection(b"1bxn 1 2 3\n\x00\x01\x02")
    assert str(error) == "line 2: NUL byte: this is binary data, not a text file"


def test_binary_control_characters() -> None:
    assert str(rejection(b"1bxn 1 2 3\x07\n")) == (
        "line 1: control character U+0007: this is binary data, not a text file"
    )


def test_invalid_utf8() -> None:
    error = rejection(b"1bxn 1 2 3\n3qm1 1 2 \xff\n")
    assert str(error) == "line 2: not UTF-8 text (byte 0xff); save the file as UTF-8 plain text"


def test_gzip_upload_is_binary() -> None:
    import gzip

    error = rejection(gzip.compress(b"1bxn 1 2 3\n"))
    assert "binary data" in error.reason or "not UTF-8" in error.reason


def test_size_limit() -> None:
    data = b"1bxn 1 2 3\n" * 10
    assert str(rejection(data, max_bytes=100)) == "the file is 110 bytes; the limit is 100 bytes"
    assert len(parse_submission(data, max_bytes=110)) == 10


def test_size_limit_of_a_path_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"1bxn 1 2 3\n" * 100)
    with pytest.raises(SubmissionError, match="the file is 1,100 bytes; the limit is 1,000"):
        parse_submission(path, max_bytes=1000)


def test_line_limit_names_the_first_line_over_it() -> None:
    error = rejection("1bxn 1 2 3\n" * 6, max_lines=5)
    assert str(error) == "line 6: the file has 6 lines; the limit is 5"
    assert len(parse_submission("1bxn 1 2 3\n" * 5, max_lines=5)) == 5


def test_star_without_particle_loop_or_class() -> None:
    assert "no particle loop" in str(rejection("data_\nloop_\n_rlnImageName\nimage.mrc\n"))
    no_class = "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n1 2 3\n"
    assert "no class column" in str(rejection(no_class))


def test_star_bad_value_names_the_line() -> None:
    error = rejection(STAR.replace("11.5 21 31", "11.5 nan 31"))
    assert str(error) == "line 24: _rlnCoordinateY 'nan' is not a finite number"


def test_star_class_number_out_of_range() -> None:
    text = "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n_rlnClassNumber\n"
    assert str(rejection(text + "1 2 3 13\n")) == "line 7: class number 13 is not in 1..12"


def test_star_angstrom_origins_are_refused() -> None:
    text = (
        "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n_rlnClassName\n"
        "_rlnOriginXAngst\n1 2 3 1bxn 0\n4 5 6 1bxn 12.5\n"
    )
    assert str(rejection(text)).startswith("line 9: _rlnOriginXAngst shifts need a pixel size")


def test_errors_survive_pickling_for_the_task_queue() -> None:
    error = rejection("abc 1 2 3")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.line, copy.reason, str(copy)) == (error.line, error.reason, str(error))


def test_unknown_profile_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown profile 'shrec18'"):
        parse_submission("1bxn 1 2 3", profile="shrec18")


def test_class_indices_and_arrays() -> None:
    parsed = parse_submission("4D8Q 1 2 3\n1BxN 4 5 6\n")
    assert parsed.classes.dtype == np.int64
    assert parsed.coords.dtype == np.float64


STAR_HEAD = "data_x\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n_rlnClassName\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (STAR_HEAD + "1 2 3 1bxn extra\n", "line 7: 5 fields, but the loop of 'data_x' names 4"),
        (
            STAR_HEAD + "1 2 3 1bxn\n" + STAR_HEAD + "4 5 6 1bxn\n",
            "line 8: data block 'data_x' appears twice",
        ),
        ("data_x\n", "no particle loop"),
        (
            STAR_HEAD.replace("_rlnCoordinateY\n", "") + "1 2 1bxn\n",
            "data block 'data_x' lacks _rlnCoordinateY",
        ),
        (STAR_HEAD + "1 2 3 '1bxn\n", "not a readable STAR file"),
    ],
)
def test_malformed_star_files(text: str, message: str) -> None:
    assert str(rejection(text)).startswith(message)


TOKENS = st.sampled_from(
    [
        "1bxn",
        "4D8Q",
        "abc",
        "1",
        "-2.5",
        "3e2",
        "nan",
        "inf",
        "",
        " ",
        "  ",
        ",",
        "\t",
        "\n",
        "\r\n",
        "#",
        '"',
        "x",
        "y",
        "z",
        "class",
        "score",
        "phi",
        "data_",
        "loop_",
        "_rlnCoordinateX",
        "_rlnCoordinateY",
        "_rlnCoordinateZ",
        "_rlnClassName",
        "\x00",
        "é",
    ]
)


def outcome(data: bytes | str, profile: str = "native") -> str:
    """ "parsed" (with sane arrays) or the rejection message; anything else propagates."""
    try:
        parsed = parse_submission(data, profile=profile)
    except SubmissionError as error:
        return str(error)
    assert len(parsed) >= 1
    assert np.isfinite(parsed.coords).all()
    return "parsed"


@given(st.lists(TOKENS, max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_any_text_is_parsed_or_rejected_never_crashes(text: str) -> None:
    assert outcome(text)
    assert outcome(text, "shrec19")


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_bytes_are_parsed_or_rejected_never_crash(data: bytes) -> None:
    assert outcome(data)

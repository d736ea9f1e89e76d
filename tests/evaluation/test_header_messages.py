"""A header whose column names tomobench does not read is named as such, with the expected
columns, not reported as an unknown class on line 1."""

from __future__ import annotations

import pytest

from evaluation import SubmissionError, parse_submission


@pytest.mark.parametrize("text", [b"cls,px,py,pz\n1bxn,1,2,3\n", b"cls px py pz\n1bxn 1 2 3\n"])
def test_unknown_columns_are_named_with_the_expected_ones(text: bytes) -> None:
    with pytest.raises(SubmissionError) as refused:
        parse_submission(text)
    message = str(refused.value)
    assert message.startswith("line 1: this looks like a header")
    assert "cls, px, py, pz" in message
    assert "x, y, z" in message
    assert "unknown class" not in message


def test_a_misspelt_class_on_a_data_line_stays_an_unknown_class() -> None:
    with pytest.raises(SubmissionError, match="line 1: unknown class 'foo'"):
        parse_submission(b"foo 1 2 3\n")


def test_a_known_header_still_reads() -> None:
    assert len(parse_submission(b"class,x,y,z\n1bxn,1,2,3\n")) == 1

"""A hidden test of several tomograms: predictions name their tomogram (a column, a STAR
field, an archive of one file each), counts add up over tomograms, and one tomogram scores
exactly as before."""

from __future__ import annotations

import io
import json
import math
import tarfile
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import CLASSES, GroundTruth, Submission, SubmissionError, parse_submission, score
from evaluation.ground_truth import Particles
from evaluation.scoring import HiddenTest, score_tomograms, stack_tomograms
from evaluation.split import split_by_tomogram

SHAPE = (8, 8, 16)  # z, y, x


def _truth(particles: list[tuple[str, int, int, int]]) -> GroundTruth:
    """Cubes of side 3 labelled 1..n around the given centres (class, x, y, z)."""
    hitbox = np.zeros(SHAPE, dtype=np.int16)
    for label, (_, x, y, z) in enumerate(particles, start=1):
        hitbox[max(z - 1, 0) : z + 2, max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] = label
    classes = np.array([CLASSES.index(name) + 1 for name, *_ in particles])
    centres = np.array([[x, y, z] for _, x, y, z in particles], dtype=np.float64)
    return GroundTruth(
        profile="native",
        class_names=CLASSES,
        particles=Particles(classes, centres, None, "zxz"),
        hitbox=hitbox,
    )


A = [("1bxn", 2, 4, 4), ("4b4t", 12, 4, 4)]
B = [("1bxn", 5, 4, 4), ("3qm1", 10, 4, 4), ("1s3x", 13, 4, 4)]

CSV = """class,x,y,z,tomogram
1bxn,2,4,4,TS_a
1bxn,3,4,4,TS_a
1bxn,2,3,4,TS_a
3qm1,1,1,1,TS_a
3qm1,10,4,4,TS_b
4b4t,5,5,5,TS_b
1bxn,40,4,4,TS_b
"""


def _test() -> HiddenTest:
    return stack_tomograms({"TS_a": _truth(A), "TS_b": _truth(B)})


def test_counts_add_up_over_tomograms_as_on_paper() -> None:
    picks = parse_submission(CSV, tomograms=("TS_a", "TS_b"))
    assert picks.tomograms is not None
    assert picks.tomograms.tolist()[3:5] == ["TS_a", "TS_b"]
    result = score_tomograms(_test(), picks, bootstrap=0).to_dict()
    own_a = result["per_tomogram"]["TS_a"]["localization"]
    own_b = result["per_tomogram"]["TS_b"]["localization"]
    # TS_a: four picks, 1bxn found three times (MH), one background pick; 4b4t missed
    assert [own_a[k] for k in ("RR", "TP", "FP", "FN", "MH", "RO", "N")] == [4, 1, 1, 1, 1, 0, 2]
    assert own_a["AD_all"] == pytest.approx(2 / 3)  # distances 0, 1, 1
    # TS_b: 3qm1 found, 1bxn found (as 4b4t) at distance sqrt 2, x 40 clamped to 15 (RO, FP)
    assert [own_b[k] for k in ("RR", "TP", "FP", "FN", "MH", "RO", "N")] == [3, 2, 1, 1, 0, 1, 3]
    assert own_b["AD_all"] == pytest.approx(math.sqrt(2) / 2)
    whole = result["localization"]
    assert [whole[k] for k in ("RR", "TP", "FP", "FN", "MH", "RO", "N")] == [7, 3, 2, 2, 1, 1, 5]
    assert whole["recall"] == pytest.approx(3 / 5)  # over all particles
    assert whole["precision"] == pytest.approx(3 / 7)
    assert whole["AD_all"] == pytest.approx((0 + 1 + 1 + 0 + math.sqrt(2)) / 5)  # all hits
    # 1bxn: found and named in TS_a, named 4b4t in TS_b: F1 2/3 from the summed counts
    # (not the mean of the tomograms' 1 and 0)
    ones = result["classification"]["1bxn"]
    assert (ones["tp"], ones["fp"], ones["fn"]) == (1, 0, 1)
    assert ones["f1"] == pytest.approx(2 / 3)
    assert result["classification"]["4b4t"]["fp"] == 1
    assert result["per_tomogram"]["TS_a"]["classification"]["1bxn"]["f1"] == 1.0
    assert result["per_tomogram"]["TS_b"]["predictions"] == 3
    assert any(note.startswith("TS_b: 1 prediction(s) lay outside") for note in result["warnings"])


def test_a_tomogram_without_predictions_counts_its_particles_as_missed() -> None:
    picks = parse_submission("class,x,y,z,tomogram\n1bxn,2,4,4,TS_a\n", tomograms=("TS_a", "TS_b"))
    result = score_tomograms(_test(), picks, bootstrap=0).to_dict()
    assert result["localization"]["TP"] == 1
    assert result["localization"]["FN"] == 4
    assert result["per_tomogram"]["TS_b"]["localization"]["RR"] == 0


def test_star_names_the_tomogram_in_rln_tomo_name() -> None:
    star = (
        "data_particles\n\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n"
        "_rlnClassName\n_rlnTomoName\n2 4 4 1bxn TS_a\n10 4 4 3qm1 TS_b\n"
    )
    picks = parse_submission(star, tomograms=("TS_a", "TS_b"))
    assert picks.tomograms is not None
    assert picks.tomograms.tolist() == ["TS_a", "TS_b"]
    result = score_tomograms(_test(), picks, bootstrap=0)
    assert result.localization.TP == 2


def test_unknown_and_missing_tomograms_are_refused_with_the_line() -> None:
    with pytest.raises(SubmissionError, match=r"line 3: unknown tomogram 'TS_c'"):
        parse_submission(
            "class,x,y,z,tomogram\n1bxn,2,4,4,TS_a\n1bxn,2,4,4,TS_c\n", tomograms=("TS_a", "TS_b")
        )
    with pytest.raises(SubmissionError, match="name the tomogram of each prediction"):
        parse_submission("1bxn 2 4 4\n", tomograms=("TS_a", "TS_b"))
    kaggle = "experiment,particle_type,x,y,z\nTS_x,1bxn,20,40,40\n"
    with pytest.raises(SubmissionError, match="unknown tomogram 'TS_x'"):
        parse_submission(kaggle, tomograms=("TS_a", "TS_b"), pixel_size=10.0)


def test_one_tomogram_sets_the_names_aside() -> None:
    picks = parse_submission("class,x,y,z,tomogram\n1bxn,2,4,4,anything\n", tomograms=("TS_a",))
    assert picks.tomograms is None
    assert parse_submission("1bxn 2 4 4\n").tomograms is None


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _tar(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("pack", [_zip, _tar])
def test_an_archive_of_one_file_per_tomogram_scores_as_the_named_table(pack: object) -> None:
    files = {
        "TS_a.txt": "1bxn 2 4 4\n1bxn 3 4 4\n1bxn 2 3 4\n3qm1 1 1 1\n",
        "picks/TS_b.csv": "class,x,y,z\n3qm1,10,4,4\n4b4t,5,5,5\n1bxn,40,4,4\n",
        "__MACOSX/._TS_a.txt": "ignored",
    }
    archived = parse_submission(pack(files), tomograms=("TS_a", "TS_b"))  # type: ignore[operator]
    named = parse_submission(CSV, tomograms=("TS_a", "TS_b"))
    assert archived.tomograms is not None
    assert named.tomograms is not None
    assert archived.tomograms.tolist() == named.tomograms.tolist()
    assert archived.line_numbers.tolist() == [1, 2, 3, 4, 2, 3, 4]
    one = score_tomograms(_test(), archived, bootstrap=0).to_dict()
    other = score_tomograms(_test(), named, bootstrap=0).to_dict()
    for key in ("localization", "classification", "per_tomogram"):
        assert one[key] == other[key]


def test_archive_mistakes_name_the_file() -> None:
    both = ("TS_a", "TS_b")
    with pytest.raises(SubmissionError, match=r"'TS_c\.txt' is named after no test tomogram"):
        parse_submission(_zip({"TS_c.txt": "1bxn 2 4 4\n"}), tomograms=both)
    with pytest.raises(SubmissionError, match="both for tomogram 'TS_a'"):
        parse_submission(_zip({"TS_a.txt": "1bxn 2 4 4\n", "TS_a.csv": "x"}), tomograms=both)
    with pytest.raises(SubmissionError, match=r"line 1: TS_b.txt: unknown class 'abc'"):
        parse_submission(_zip({"TS_b.txt": "abc 2 4 4\n"}), tomograms=both)
    with pytest.raises(SubmissionError, match="more than 20 bytes"):
        parse_submission(_zip({"TS_a.txt": "1bxn 2 4 4\n" * 3}), tomograms=both, max_bytes=20)


def _picks(rows: list[tuple[int, float, float, float]], names: list[str] | None) -> Submission:
    return Submission(
        classes=np.array([k for k, *_ in rows], dtype=np.int64),
        coords=np.array([xyz for _, *xyz in rows], dtype=np.float64),
        angles=None,
        scores=np.linspace(1.0, 0.1, len(rows)),
        line_numbers=np.arange(1, len(rows) + 1),
        tomograms=None if names is None else np.asarray(names, dtype=np.str_),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[GroundTruth], list[tuple[int, float, float, float]]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    truths = []
    for _ in range(2):
        n = int(rng.integers(1, 8))
        names = [CLASSES[i] for i in rng.integers(0, 12, size=n)]
        centres = rng.integers((1, 1, 1), (15, 7, 7), size=(n, 3))
        truths.append(_truth([(k, *map(int, c)) for k, c in zip(names, centres, strict=True)]))
    count = draw(st.integers(1, 25))
    rows = [
        (int(k) + 1, *map(float, xyz))
        for k, xyz in zip(
            rng.integers(0, 12, size=count), rng.uniform(-3, 18, size=(count, 3)), strict=True
        )
    ]
    return truths, rows


@settings(max_examples=40, deadline=None)
@given(cases())
def test_one_tomogram_scores_bit_for_bit_as_before(case: tuple[list[GroundTruth], list]) -> None:
    truths, rows = case
    picks = _picks(rows, None)
    today = json.dumps(score(truths[0], picks, bootstrap=20).to_dict(), sort_keys=True)
    now = score_tomograms(stack_tomograms({"only": truths[0]}), picks, bootstrap=20).to_dict()
    assert "per_tomogram" not in now
    assert json.dumps(now, sort_keys=True) == today


@settings(max_examples=40, deadline=None)
@given(cases(), st.data())
def test_table1_counts_of_the_whole_are_the_tomograms_sums(
    case: tuple[list[GroundTruth], list], data: st.DataObject
) -> None:
    truths, rows = case
    names = [data.draw(st.sampled_from(["one", "two"])) for _ in rows]
    result = score_tomograms(
        stack_tomograms({"one": truths[0], "two": truths[1]}), _picks(rows, names), bootstrap=0
    ).to_dict()
    whole = result["localization"]
    own = [result["per_tomogram"][name]["localization"] for name in ("one", "two")]
    for key in ("RR", "TP", "FP", "FN", "MH", "RO", "N"):
        assert whole[key] == own[0][key] + own[1][key], key
    for name in CLASSES:
        counts = [result["per_tomogram"][t]["classification"].get(name) for t in ("one", "two")]
        if whole_class := result["classification"].get(name):
            for key in ("tp", "fp", "fn"):
                assert whole_class[key] == sum(c[key] for c in counts if c), (name, key)


def test_two_tomograms_split_by_tomogram_into_parts_that_add_up() -> None:
    hidden = stack_tomograms({"TS_a": _truth(A), "TS_b": _truth(B)})
    split = split_by_tomogram(hidden, seed=3)
    assert sorted(split.part_of.values()) == ["private", "public"]
    picks = parse_submission(CSV, tomograms=("TS_a", "TS_b"))
    parts = split.score(picks, samples=True, bootstrap=10)
    whole = score_tomograms(hidden, picks, bootstrap=0).to_dict()
    for part, document in parts.items():
        (name,) = [n for n, p in split.part_of.items() if p == part]
        assert document["split"] == part
        assert document["localization"] == whole["per_tomogram"][name]["localization"]
        assert len(document["bootstrap_f1_samples"]) == 10
    for key in ("RR", "TP", "FP", "FN", "MH", "RO"):
        total = sum(parts[p]["localization"][key] for p in ("public", "private"))
        assert total == whole["localization"][key], key


def test_the_text_report_lists_each_tomograms_table1() -> None:
    picks = parse_submission(CSV, tomograms=("TS_a", "TS_b"))
    text = score_tomograms(_test(), picks, bootstrap=0).to_text()
    assert "Each test tomogram (Table 1; the counts above are their sums)" in text
    lines = [line.split() for line in text.splitlines()]
    rows = {fields[0]: fields[1:7] for fields in lines if fields and fields[0][:3] == "TS_"}
    assert rows == {"TS_a": ["4", "1", "1", "1", "1", "0"], "TS_b": ["3", "2", "1", "1", "0", "1"]}
    single = score(_truth(A), parse_submission("1bxn 2 4 4\n"), bootstrap=0).to_text()
    assert "Each test tomogram" not in single

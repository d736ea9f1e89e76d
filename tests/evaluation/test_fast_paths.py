"""The fast paths give the results of their plain statements: F-beta's windowed pair search
and star matching, the numpy quaternions of the orientation metric, the bootstrap's grouped
sums, the per-class ranking, the column-wise reading of regular text files and lists, and
numpy's percentiles without numpy.ma."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from evaluation import (
    CLASSES,
    GroundTruth,
    GroundTruthError,
    SubmissionError,
    formats,
    parse_submission,
    score,
)
from evaluation.formats.plain import parse_plain_table
from evaluation.ground_truth import particle_list
from evaluation.metrics import bootstrap as bootstrap_module
from evaluation.metrics import fbeta as fbeta_module
from evaluation.metrics.classification import predicted_classes
from evaluation.metrics.matching import match
from evaluation.metrics.orientation import angular_errors, quaternions, rotations
from evaluation.metrics.ranking import curve
from evaluation.profiles import AngleConvention, get_profile
from evaluation.quantiles import median, percentile
from evaluation.reference import reference_fbeta_matched
from tests.evaluation.helpers import memory_truth, picks

OFFSETS = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, -2.0, 3.25, 1.625, 0.1, 0.7, 4.75, 7.5]


def _crowded_case(seed: int) -> tuple[list[str], list[str]]:
    """Particles of three classes on a small grid (some closer than a match distance) and
    picks at exact, boundary and random offsets from them."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 60))
    names = [CLASSES[i] for i in rng.integers(0, 3, count)]
    centres = rng.integers(0, 20, (count, 3))
    particles = [f"{n} {x} {y} {z}" for n, (x, y, z) in zip(names, centres, strict=True)]
    k = int(rng.integers(1, 80))
    offsets = rng.choice(OFFSETS, size=(k, 3)) * rng.choice([0, 1, -1], size=(k, 3))
    offsets[: k // 4] = rng.normal(0, 2, (k // 4, 3))
    spots = centres[rng.integers(0, count, k)] + offsets
    guesses = [CLASSES[i] for i in rng.integers(0, 3, k)]
    lines = [f"{n} {x!r} {y!r} {z!r}" for n, (x, y, z) in zip(guesses, spots.tolist(), strict=True)]
    return particles, lines


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("multiplier", [0.5, 1.0, 1.3, 3.0])
def test_fbeta_matches_the_pairwise_definition(seed: int, multiplier: float) -> None:
    particles, lines = _crowded_case(seed)
    truth = memory_truth(particles, (20, 20, 20))
    submission = picks(*lines)
    expected = reference_fbeta_matched(truth, submission, multiplier=multiplier)
    result = score(truth, submission, bootstrap=0, multiplier=multiplier).fbeta
    assert {name: s.tp for name, s in result.per_class.items()} == {
        name: expected[name] for name in result.per_class
    }


def test_fbeta_tree_fallback_finds_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    for seed in range(15):
        particles, lines = _crowded_case(100 + seed)
        truth = memory_truth(particles, (20, 20, 20))
        submission = picks(*lines)
        windowed = score(truth, submission, bootstrap=0, multiplier=1.3).fbeta
        with monkeypatch.context() as patched:
            patched.setattr(fbeta_module, "_WINDOW_PAIRS_PER_POINT", -1)  # always the tree
            tree = score(truth, submission, bootstrap=0, multiplier=1.3).fbeta
        assert tree == windowed


@pytest.mark.parametrize("convention", ["zxz", "tom", "relion"])
def test_quaternions_are_scipys_to_the_bit(convention: AngleConvention) -> None:
    angles = np.random.default_rng(5).uniform(-360, 360, (5000, 3))
    angles[:3] = [[0, 0, 0], [90, 0, 0], [180, 90, 180]]
    ours = quaternions(angles, convention)
    assert np.array_equal(ours, rotations(angles, convention).as_quat(canonical=False))


@pytest.mark.parametrize("convention", ["zxz", "tom", "relion"])
def test_angular_errors_are_scipys_magnitudes_to_the_bit(convention: AngleConvention) -> None:
    rng = np.random.default_rng(6)
    predicted = rng.uniform(-360, 360, (5000, 3))
    true = rng.uniform(-360, 360, (5000, 3))
    true[:50] = predicted[:50]  # zero errors
    true[50:100] = predicted[50:100] + 1e-9
    expected = np.degrees(
        (rotations(predicted, convention).inv() * rotations(true, "tom")).magnitude()
    )
    from_quaternions = angular_errors(predicted, convention, quaternions(true, "tom"))
    from_rotations = angular_errors(predicted, convention, rotations(true, "tom"))
    assert np.array_equal(from_quaternions, expected)
    assert np.array_equal(from_rotations, expected)


def test_bootstrap_sums_equal_the_sparse_product() -> None:
    """The grouped integer sums give the float32 figures of the sparse matrix product the
    bootstrap used before, to the last bit."""
    rng = np.random.default_rng(8)
    particles = [f"{CLASSES[k % 12]} {2 * k + 1} 1 1" for k in range(40)]
    hitbox = np.zeros((3, 3, 82), dtype=np.int16)
    hitbox[1, 1, 1:81:2] = np.arange(1, 41)
    truth = memory_truth(particles, (3, 3, 82), hitbox)
    lines = [f"{CLASSES[rng.integers(12)]} {2 * rng.integers(40) + 1} 1 1" for _ in range(90)]
    weights = bootstrap_module._particle_major_weights(truth, 300, 4)
    rows = np.arange(40)
    groups = rng.integers(0, 7, 40)
    sums = bootstrap_module._group_sums(weights, rows, groups, 7)
    one_hot = csr_matrix((np.ones(40, np.float32), (groups, rows)), shape=(7, 40))
    assert np.array_equal(sums, one_hot @ weights.astype(np.float32))
    result = score(truth, picks(*lines, "1bxn 0 0 0"), bootstrap=300, seed=4)
    assert result.bootstrap is not None
    assert result.bootstrap.localization_f1.low is not None


@pytest.mark.parametrize(
    ("found", "mistaken", "summed_other_way"),
    [(38, 1, True), (30, 4, True), (30, 12, False), (10, 5, False), (0, 0, False)],
)
@pytest.mark.parametrize("seed", range(3))
def test_resample_sums_are_the_plain_sums_whichever_way_they_are_summed(
    found: int, mistaken: int, summed_other_way: bool, seed: int
) -> None:
    """A file finding most particles with their own class is summed the other way (each
    class's members less its missed and mistaken particles): both ways give, per resample,
    the plain sums of the found particles' multiplicities per outcome."""
    rng = np.random.default_rng(seed)
    particles = [f"{CLASSES[k % 12]} {2 * k + 1} 1 1" for k in range(40)]
    hitbox = np.zeros((3, 3, 82), dtype=np.int16)
    hitbox[1, 1, 1:81:2] = np.arange(1, 41)
    truth = memory_truth(particles, (3, 3, 82), hitbox)
    chosen = rng.permutation(40)[:found]
    names = [CLASSES[k % 12] for k in chosen]
    for i in range(mistaken):  # another class than the particle's
        names[i] = CLASSES[(chosen[i] + 1 + int(rng.integers(11))) % 12]
    lines = [f"{name} {2 * k + 1} 1 1" for name, k in zip(names, chosen.tolist(), strict=True)]
    lines += [f"{CLASSES[k % 12]} {2 * k + 1} 1 1" for k in chosen[: found // 3].tolist()]
    submission = picks(*lines, "1bxn 0 0 0")
    hits = match(truth, submission)
    predicted = predicted_classes(truth, submission, hits)
    sums = bootstrap_module.resample_sums(truth, hits, predicted, resamples=300, seed=4)

    weights = bootstrap_module._particle_major_weights(truth, 300, 4).astype(np.int64)
    size = len(truth.class_names) + 1
    true = truth.particles.classes
    plain = np.zeros((2 * size, 300), dtype=np.int64)
    for k in np.flatnonzero(hits.hit_count > 0).tolist():
        guess = int(predicted[k])
        plain[true[k] if guess == true[k] else size + guess] += weights[k]
    assert np.array_equal(sums.per_outcome, plain)
    assert np.array_equal(sums.found, plain.sum(axis=0))
    # the case is of the kind its parameters say (each way is checked)
    missed = 40 - found
    assert (missed + 2 * mistaken < found) == summed_other_way


@pytest.mark.parametrize("n", [1, 2, 3, 40, 2540, 65_537, 2**31 - 1])
def test_bootstrap_draws_in_int32_are_the_int64_draws(n: int) -> None:
    """The resample weights draw int32 indices: numpy's default int64 draws, value for
    value, for every particle count up to 2**31 - 1 (both take the 32-bit bounded path)."""
    for seed in (0, 1, 12345):
        wide = np.random.default_rng(seed).integers(0, n, size=(7, 301))
        narrow = np.random.default_rng(seed).integers(0, n, size=(7, 301), dtype=np.int32)
        assert np.array_equal(wide, narrow)


def test_bootstrap_weights_count_the_draws() -> None:
    truth = memory_truth([f"{CLASSES[k % 12]} {k} 1 1" for k in range(25)], (3, 3, 30))
    weights = bootstrap_module._particle_major_weights(truth, 130, 6)
    drawn = np.random.default_rng(6).integers(0, 25, size=(130, 25))
    expected = np.stack([np.bincount(row, minlength=25) for row in drawn], axis=1)
    assert weights.dtype == np.uint8
    assert np.array_equal(weights, expected)


def test_per_class_ranking_is_the_curve_of_each_class() -> None:
    rng = np.random.default_rng(9)
    particles = [f"{CLASSES[k % 4]} {2 * k + 1} 1 1" for k in range(30)]
    hitbox = np.zeros((3, 3, 62), dtype=np.int16)
    hitbox[1, 1, 1:61:2] = np.arange(1, 31)
    truth = memory_truth(particles, (3, 3, 62), hitbox)
    lines = [
        f"{CLASSES[rng.integers(5)]} {2 * rng.integers(30) + 1} 1 1 {rng.integers(9) / 8}"
        for _ in range(120)
    ]
    submission = picks(*lines)
    ranking = score(truth, submission, bootstrap=0).ranking
    assert ranking is not None
    true = truth.particles.classes
    for index, name in enumerate(CLASSES[:5], start=1):
        labelled = submission.classes == index
        targets = true == index
        entry = ranking.per_class[name]
        if not targets.any():
            assert entry.average_precision is None
            continue
        assert submission.scores is not None
        # the plain way: the best score of a right-class pick on each particle of the class
        best = np.full(len(true), -np.inf)
        for pick in np.flatnonzero(labelled):
            particle = int(submission.coords[pick, 0]) // 2
            if true[particle] == index:
                best[particle] = max(best[particle], submission.scores[pick])
        found = best[targets][np.isfinite(best[targets])]
        plain = curve(submission.scores[labelled], found, int(targets.sum()))
        assert entry.average_precision == plain.average_precision
        assert entry.best_f1 == plain.best_f1


# ---- parsing ------------------------------------------------------------------------------

TOKENS = ["1", "-2.5", "3e2", "0.1", "-0", "1e-320", "4.75", "1_0", "nan", "inf", "x", "", "007"]


def _text_case(seed: int) -> str:
    """A plain-text file: most are regular (widths 4 to 8, class spellings, tabs, blank
    lines, CR line ends); the others hold one irregularity (a bad or odd token, an extra
    field, a comment, a comma)."""
    rng = np.random.default_rng(seed)
    width = int(rng.choice([4, 5, 7, 8, 6]))
    regular = rng.random() < 0.6
    lines = []
    for _ in range(int(rng.integers(1, 30))):
        name = str(rng.choice([*CLASSES, "1BXN", "3Qm1"]))
        numbers = [f"{rng.normal(0, 100):.{rng.integers(0, 6)}f}" for _ in range(width - 1)]
        separator = "\t" if rng.random() < 0.1 else " "
        lines.append(separator.join([name, *numbers]))
        if rng.random() < 0.05:
            lines.append(str(rng.choice(["", "   "])))
    if not regular:
        row = int(rng.choice([i for i, line in enumerate(lines) if line.strip()]))
        odd = str(rng.choice([*TOKENS, "abc", "# note", "1bxn,1,2,3", "1bxn 1 2 3 4 5 6 7 8"]))
        if odd.startswith(("#", "1bxn")):
            lines.insert(row, odd)
        else:
            fields = lines[row].split()
            fields[int(rng.integers(len(fields)))] = odd
            lines[row] = " ".join(fields)
    end = str(rng.choice(["\n", "\r\n", "\r"]))
    return end.join(lines) + (end if rng.random() < 0.8 else "")


def _outcome(data: str, profile: str) -> object:
    try:
        submission = parse_submission(data, profile=profile)
    except SubmissionError as error:
        return ("rejected", str(error))
    arrays = (submission.classes, submission.coords, submission.angles, submission.scores)
    return (
        [None if a is None else (a.dtype.str, a.shape, a.tobytes()) for a in arrays],
        submission.line_numbers.tolist(),
        submission.format,
        submission.angle_convention,
    )


@pytest.mark.parametrize("profile", ["native", "shrec19"])
def test_regular_text_read_column_wise_equals_the_line_by_line_reading(
    profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_taken = 0
    for seed in range(300):
        data = _text_case(seed)
        fast = _outcome(data, profile)
        with monkeypatch.context() as patched:
            patched.setattr(formats, "parse_plain_table", lambda *_: None)
            plain = _outcome(data, profile)
        assert fast == plain, data
        lines = data.splitlines()
        fast_taken += parse_plain_table(data, lines, get_profile(profile)) is not None
    assert fast_taken > 100  # the column-wise reader read most regular files


def test_particle_lists_read_column_wise_equal_the_line_by_line_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(12)
    for case in range(60):
        width = int(rng.choice([4, 7, 8, 6]))
        rows = [
            " ".join(
                [str(rng.choice([*CLASSES, "1BXN"]))]
                + [str(rng.choice(["5", "2.5", "-1", "nan", "1e3"])) for _ in range(width - 1)]
            )
            for _ in range(int(rng.integers(1, 12)))
        ]
        if case % 7 == 0:
            rows.insert(1, "")
        path = tmp_path / f"list_{case}.txt"
        path.write_text("\n".join(rows) + "\n")
        results = []
        for column_wise in (True, False):
            with monkeypatch.context() as patched:
                if not column_wise:
                    patched.setattr(particle_list, "_read_uniform", lambda *_: None)
                try:
                    read = particle_list.read_particle_list(
                        path, CLASSES, axis_order="zyx", angle_convention="tom", integers=True
                    )
                except GroundTruthError as error:
                    results.append(str(error))
                    continue
                angles = None if read.angles is None else read.angles.tobytes()
                results.append((read.classes.tobytes(), read.centres.tobytes(), angles))
        assert results[0] == results[1]


# ---- quantiles ----------------------------------------------------------------------------


def test_percentile_and_median_are_numpys_to_the_bit() -> None:
    rng = np.random.default_rng(13)
    for trial in range(600):
        count = int(rng.integers(1, 300))
        if trial % 3 == 0:
            values = rng.normal(0, 10, count)
        elif trial % 3 == 1:
            values = rng.integers(0, 5, count) / 3  # ties
        else:
            values = rng.random((count, 3)) * 500  # per column, as the misframing check
        for percents in ([2.5000000000000018, 97.5], 95, 5, [0, 50, 100], 33.3):
            expected = np.percentile(values, percents, axis=0)
            ours = percentile(values, percents)
            assert ours.shape == np.shape(expected)
            assert np.array_equal(ours, expected)
        if values.ndim == 1:
            assert median(values) == float(np.median(values))


# ---- checksum -----------------------------------------------------------------------------


def _plain_checksum(truth: GroundTruth) -> str:
    """The checksum's definition, hashed in one go."""
    digest = hashlib.sha256(b"tomobench ground truth v1\n")
    facts = {
        "profile": truth.profile,
        "classes": truth.class_names,
        "offset": truth.submission_offset.tolist(),
        "ad_first_hits_only": truth.ad_first_hits_only,
        "excluded": truth.excluded_classes,
        "shape": truth.shape,
        "dtype": truth.hitbox.dtype.str,
        "angle_convention": truth.particles.angle_convention,
    }
    digest.update(json.dumps(facts, sort_keys=True).encode())
    for array in (truth.particles.classes, truth.particles.centres, truth.counted):
        digest.update(array.tobytes())
    if truth.particles.angles is not None:
        digest.update(truth.particles.angles.tobytes())
    digest.update(truth.hitbox.tobytes())
    return digest.hexdigest()


def _large_truth() -> GroundTruth:
    hitbox = np.zeros((128, 512, 512), dtype=np.int16)  # 64 MiB: hashed on a thread
    hitbox[10:20, 10:20, 10:20] = 1
    return memory_truth(["1bxn 15 15 15 0 0 0"], hitbox.shape, hitbox)


def test_checksum_hashed_on_a_thread_is_the_plain_sha256() -> None:
    small = memory_truth(["1bxn 2 2 2 10 20 30"], (5, 5, 5))
    assert small.checksum == _plain_checksum(small)
    large = _large_truth()
    assert large.checksum == _plain_checksum(large)


def test_checksum_of_a_process_forked_while_hashing() -> None:
    truth = _large_truth()  # forked at once: the thread is most likely still hashing
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_send_checksum, args=(truth, writer))  # inherited
    child.start()
    answered = reader.poll(60)  # a child stuck on the parent's hash object never answers
    if not answered:
        child.kill()
    child.join(60)
    assert answered
    assert reader.recv() == truth.checksum == _plain_checksum(truth)


def _send_checksum(truth: GroundTruth, writer: Connection) -> None:
    writer.send(truth.checksum)


def test_ground_truths_pickle_with_their_checksum() -> None:
    truth = _large_truth()
    copy = pickle.loads(pickle.dumps(truth))
    assert copy.checksum == truth.checksum
    assert np.array_equal(copy.hitbox, truth.hitbox)


def _plain_jsonable(value: object) -> object:
    """The conversion stated another way: through the json module itself, dataclasses as
    their fields (less those marked `"document": False`) and numpy values as Python's, NaN
    and infinities read back as None."""
    import dataclasses

    def default(item: object) -> object:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            fields = dataclasses.fields(item)
            return {f.name: getattr(item, f.name) for f in fields if f.metadata.get("document", 1)}
        if isinstance(item, np.ndarray | np.generic):
            return item.tolist()
        raise TypeError(item)

    return json.loads(json.dumps(value, default=default), parse_constant=lambda _: None)


def test_result_documents_convert_as_the_plain_statement_does() -> None:
    from evaluation.result import jsonable

    rng = np.random.default_rng(5)
    truth = memory_truth([f"{CLASSES[k % 12]} {2 * k + 1} 3 3" for k in range(20)], (7, 7, 42))
    lines = [f"{CLASSES[rng.integers(12)]} {rng.integers(42)} 3 3" for _ in range(30)]
    result = score(truth, picks(*lines), bootstrap=50)
    odd = {
        1: (np.float32(0.5), np.int16(-3), np.bool_(True), True, None, "text"),
        "values": [float("nan"), float("inf"), -0.0, np.float64("nan"), 2**70],
        "array": np.array([[1.5, np.nan], [np.inf, 2.0]]),
        "integers": np.arange(3, dtype=np.uint8),
        "result": result,
    }
    converted = jsonable(odd)
    expected = _plain_jsonable(odd)
    assert json.dumps(converted, allow_nan=False) == json.dumps(expected, allow_nan=False)
    assert [type(item) for item in converted["1"]] == [float, int, bool, bool, type(None), str]
    # the whole document, its class tables included
    document = result.to_dict()
    plain = _plain_jsonable(result)
    assert isinstance(plain, dict)
    plain["classification"] = _plain_jsonable(result.classification.to_dict())
    plain["strict_classification"] = _plain_jsonable(result.strict_classification.to_dict())
    plain.pop("per_tomogram")
    assert json.dumps(document, allow_nan=False) == json.dumps(plain, allow_nan=False)


@pytest.mark.parametrize("seed", range(4))
def test_hit_totals_are_the_plain_sum_of_hit_counts_times_multiplicities(seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 5, size=(60, 40)).astype(np.uint8)
    counts = rng.choice([0, 0, 1, 1, 1, 2, 3, 7], size=60).astype(np.int64)
    found_rows = np.flatnonzero(counts > 0)
    found = weights[found_rows].sum(axis=0, dtype=np.int64)
    plain = [
        sum(int(counts[row]) * int(weights[row, column]) for row in range(60))
        for column in range(40)
    ]
    totals = bootstrap_module.hit_totals(weights, counts, found_rows, found)
    assert totals.tolist() == plain
    assert totals.dtype == np.int64

"""The leaderboard of a phase: one row per team, or per participant without a team, its
best or latest submission (whatever method name it carries; each baseline method keeps a row
of its own).

Rows are flat dicts keyed by the column keys of `COLUMNS`, so the page, the JSON and the CSV
show the same thing. Ranks follow localization F1 (SHREC'19's headline figure), ties broken
by mean class F1, then by who submitted first; on a version of the ``czii`` profile (a
real-data track) they follow the CZII score, its F-beta per particle type in the columns.

A phase's board has two splits: `public` (the live ranking while the phase is open) and
`private` (hidden from participants until the phase closes, then the official ranking). A
closed phase's board is read from its frozen snapshot, never recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import DatasetVersion, Phase, Result, Submission, SubmissionStatus, Team, User
from app.services.board_figures import (
    CZII_SCORE,
    CZII_TYPES,
    Figures,
    figures_of,
    stored_figures,
)
from app.services.csv_export import csv_document
from app.services.datasets import get_dataset
from app.services.disclosure import SAMPLES, Split, sees_private
from app.services.errors import InvalidInput, PermissionDenied
from app.services.method_cards import method_card_ids
from app.services.phases import default_phase, get_phase, version_default_phase
from app.services.selection import EntryKey, entry_key, entry_picks
from evaluation import CLASSES, SIZE_GROUPS
from evaluation.profiles import CZII

Mode = Literal["best", "latest"]


@dataclass(frozen=True)
class Column:
    """A leaderboard column: its key in the rows, its header, which direction is better."""

    key: str
    label: str
    higher_is_better: bool | None


def _metric_columns() -> list[Column]:
    up, down = True, False
    columns = [
        Column("RR", "RR", None),
        Column("TP", "TP", up),
        Column("FP", "FP", down),
        Column("FN", "FN", down),
        Column("MH", "MH", down),
        Column("RO", "RO", down),
        Column("AD", "AD", down),
        Column("recall", "Recall", up),
        Column("precision", "Precision", up),
        Column("miss_rate", "Miss rate", down),
        Column("f1", "F1", up),
        Column("f1_low", "F1 95% low", up),
        Column("f1_high", "F1 95% high", up),
    ]
    columns += [Column(f"f1_{name}", f"F1 {name}", up) for name in CLASSES]
    for group in SIZE_GROUPS:
        columns += [
            Column(group, group.capitalize(), up),
            Column(f"{group}_low", f"{group.capitalize()} 95% low", up),
            Column(f"{group}_high", f"{group.capitalize()} 95% high", up),
        ]
    columns.append(Column(CZII_SCORE, "CZII score", up))
    columns += [Column(f"fbeta_{name}", f"F-beta {name}", up) for name in CZII_TYPES]
    return columns


COLUMNS: tuple[Column, ...] = (
    Column("rank", "Rank", False),
    Column("rank_group", "Rank group", False),
    Column("method", "Method", None),
    Column("team", "Team", None),
    Column("user", "Participant", None),
    Column("is_baseline", "Baseline", None),
    Column("submission_id", "Submission", None),
    Column("submitted_at", "Submitted", None),
    *_metric_columns(),
)
COLUMN_KEYS = frozenset(column.key for column in COLUMNS)


@dataclass(frozen=True)
class Leaderboard:
    """The rows of one phase of a dataset version (None when none exists yet), on one split;
    `frozen` when they come from the closed phase's snapshot."""

    dataset_version: DatasetVersion | None
    mode: Mode
    sort: str
    order: Literal["asc", "desc"]
    rows: list[dict[str, Any]]
    phase: Phase | None = None
    split: Split = "public"
    frozen: bool = False


def headline(row: dict[str, Any]) -> float | None:
    """The figure an entry is ranked by: localization F1, or the CZII score on a czii
    version (whose rows have no F1)."""
    value = row.get("f1")
    return value if value is not None else row.get(CZII_SCORE)


def _mean_class_f1(row: dict[str, Any]) -> float:
    values = [row[f"f1_{name}"] for name in CLASSES if row[f"f1_{name}"] is not None]
    return sum(values) / len(values) if values else 0.0


def _merit(row: dict[str, Any]) -> tuple[float, float, int]:
    """Higher is better: localization F1 (or CZII score), then mean class F1, then the
    earlier submission."""
    return (headline(row) or 0.0, _mean_class_f1(row), -row["submission_id"])


# the parts of a result document the board shows (and the F1 samples of its rank groups and
# the Ladder), read by SQL JSON paths for a result without its board columns (stored before
# they existed): the precision-recall curves and the rest of the document never leave the
# database. A czii version's results hold the one `czii` part; the first part names what a
# document of the board's kind always has.
_SHOWN_PARTS = ("localization", "classification", "size_groups", "bootstrap", SAMPLES)
_CZII_PARTS = ("czii",)


def _current_results(phase: Phase) -> Any:
    """Each scored, shown submission of the phase with its current (latest) result's id."""
    latest = (
        select(Result.submission_id, func.max(Result.id).label("result_id"))
        .join(Submission, Submission.id == Result.submission_id)
        .where(
            Submission.phase_id == phase.id,
            Submission.status == SubmissionStatus.SCORED,
            Submission.hidden.is_(False),
        )
        .group_by(Result.submission_id)
    )
    return latest.subquery()


def _read_figures(
    db: Session, ids: list[int], column: Any, names: tuple[str, ...]
) -> dict[int, dict[str, Any]]:
    """The parts `names` of `column`'s document for each result (None parts left out)."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):  # within every database's parameter limit
        chunk = ids[start : start + 500]
        parts = [column[part].label(part) for part in names]
        for result_id, *values in db.execute(select(Result.id, *parts).where(Result.id.in_(chunk))):
            shown = zip(names, values, strict=True)
            found[result_id] = {part: value for part, value in shown if value is not None}
    return found


def document_figures(
    db: Session, ids: list[int], split: Split, names: tuple[str, ...]
) -> dict[int, Figures]:
    """Each result's board figures on `split`, read from its documents' parts `names`."""
    column = Result.metrics_public if split == "public" else Result.metrics_private
    documents = _read_figures(db, ids, column, names)
    # a result scored before the split existed has one document for both parts
    unsplit = [result_id for result_id in ids if names[0] not in documents[result_id]]
    documents |= _read_figures(db, unsplit, Result.metrics, names) if unsplit else {}
    return {result_id: figures_of(documents[result_id]) for result_id in ids}


def _scored_rows(db: Session, phase: Phase, split: Split) -> list[dict[str, Any]]:
    """One row per scored, shown submission, from the board columns of its current result
    (never the whole documents)."""
    latest = _current_results(phase)
    board, samples = (
        (Result.board_public, Result.board_samples_public)
        if split == "public"
        else (Result.board_private, Result.board_samples_private)
    )
    query = (
        select(Submission, User.username, Team.name, Result.id, board, samples)
        .join(latest, latest.c.submission_id == Submission.id)
        .join(Result, Result.id == latest.c.result_id)
        .join(User, User.id == Submission.user_id)
        .outerjoin(Team, Team.id == Submission.team_id)
        .where(Result.dataset_version_id == phase.dataset_version_id)
    )
    found = db.execute(query).tuples().all()
    figures = {result_id: stored_figures(board, samples) for *_, result_id, board, samples in found}
    unfilled = [result_id for result_id, stored in figures.items() if stored is None]
    if unfilled:
        names = _CZII_PARTS if phase.dataset_version.profile == CZII else _SHOWN_PARTS
        figures |= document_figures(db, unfilled, split, names)
    rows = []
    for submission, username, team, result_id, _, _ in found:
        stored = figures[result_id]
        assert stored is not None
        metrics, array = stored
        if all(value is None for value in metrics.values()):  # no document on this part
            continue
        rows.append(
            {
                "entry": entry_key(submission),
                "method": submission.method,
                "team": team,
                "team_id": submission.team_id,
                "user": username,
                "is_baseline": submission.is_baseline,
                "submission_id": submission.id,
                "submitted_at": submission.created_at.isoformat(),
                **metrics,
                SAMPLES: array,  # for rank groups and the Ladder, never shown
            }
        )
    return rows


def ranked_rows(
    db: Session, phase: Phase, split: Split, mode: Mode, released: set[int] | None = None
) -> list[dict[str, Any]]:
    """The live rows of a phase on one split, one per team or participant without a team
    (`entry_key`), in rank order (computed from the current results; a closed phase shows
    its snapshot instead). `released` collects the submissions the Ladder ever showed."""
    from evaluation.paired import ladder_improves, rank_groups

    chosen: dict[EntryKey, dict[str, Any]] = {}
    samples: dict[int, Any] = {}
    # the Ladder shows, per entry, the last submission that beat the shown one by more than
    # the threshold: decided in upload order, on the public board only (in either mode: the
    # latest upload's score is not shown unless the Ladder released it)
    ladder = split == "public" and phase.ladder is not None
    # on the private board each entry is the submission it selected (default: its best
    # public one), never its best private one: the private part stays out of the choice
    picks = entry_picks(db, phase) if split == "private" and mode == "best" else None
    rows = sorted(_scored_rows(db, phase, split), key=lambda r: r["submission_id"])
    for row in rows:
        samples[row["submission_id"]] = row.pop(SAMPLES)
        key = row.pop("entry")
        current = chosen.get(key)
        if picks is not None:
            if picks.get(key) == row["submission_id"]:
                chosen[key] = row
        elif current is None:
            chosen[key] = row
            if released is not None:
                released.add(row["submission_id"])
        elif ladder:
            threshold = phase.ladder_threshold if phase.ladder == "fixed" else None
            improves = ladder_improves(
                headline(row),
                headline(current),
                threshold=threshold,
                new_samples=samples[row["submission_id"]],
                shown_samples=samples[current["submission_id"]],
            )
            chosen[key] = row if improves else current
            if improves and released is not None:
                released.add(row["submission_id"])
        elif mode == "latest":
            chosen[key] = max(row, current, key=lambda r: r["submission_id"])
        else:
            chosen[key] = max(row, current, key=_merit)
    ranked = sorted(chosen.values(), key=_merit, reverse=True)
    # adjacent entries whose F1 difference is within the paired bootstrap noise share a group
    groups = rank_groups([samples.get(row["submission_id"]) for row in ranked])
    for rank, (row, group) in enumerate(zip(ranked, groups, strict=True), start=1):
        row["rank"] = rank
        row["rank_group"] = group
    return ranked


def ladder_released(db: Session, phase: Phase) -> set[int]:
    """The submissions of a phase with the Ladder whose public score was ever shown: each
    entry's first, and every later one that beat the shown score by more than the threshold
    (computed once per database session)."""
    cache: dict[int, set[int]] = db.info.setdefault("ladder_released", {})
    if phase.id not in cache:
        released: set[int] = set()
        ranked_rows(db, phase, "public", "best", released=released)
        cache[phase.id] = released
    return cache[phase.id]


def board_phase(
    db: Session, phase_id: int | None, dataset_version_id: int | None
) -> tuple[Phase | None, DatasetVersion | None]:
    """The phase a leaderboard request shows: the one named, else the default phase of the
    version named, else that of the active version.

    Raises:
        NotFound: if the phase or version does not exist.
        InvalidInput: if both are named and the phase is not of that version.
    """
    if phase_id is not None:
        phase = get_phase(db, phase_id)
        if dataset_version_id is not None and phase.dataset_version_id != dataset_version_id:
            raise InvalidInput(
                f"phase: phase {phase_id} belongs to dataset version {phase.dataset_version_id}, "
                f"not {dataset_version_id}"
            )
        return phase, phase.dataset_version
    if dataset_version_id is not None:
        version = get_dataset(db, dataset_version_id)
        return version_default_phase(db, version), version
    default = default_phase(db)
    return default, default.dataset_version if default else None


def build_leaderboard(
    db: Session,
    dataset_version_id: int | None = None,
    mode: Mode = "best",
    sort: str = "rank",
    order: Literal["asc", "desc"] | None = None,
    *,
    phase_id: int | None = None,
    split: str | None = None,
    viewer: User | None = None,
) -> Leaderboard:
    """Leaderboard rows of a phase (default: the default phase of the version, by default
    the active one), one per team or participant without a team.

    `split` defaults to `public` while the phase is open and `private` once it is closed.
    `order` defaults to the column's better direction (descending for scores).

    Raises:
        NotFound: if the phase or `dataset_version_id` does not exist.
        InvalidInput: for an unknown mode, split or sort column.
        PermissionDenied: for the private split of an open phase, unless the viewer is an
            organizer or admin.
    """
    if mode not in ("best", "latest"):
        raise InvalidInput(f"mode: expected 'best' or 'latest', got {mode!r}")
    if split not in (None, "public", "private"):
        raise InvalidInput(f"split: expected 'public' or 'private', got {split!r}")
    if sort not in COLUMN_KEYS:
        raise InvalidInput(f"sort: unknown column {sort!r}")
    column = next(c for c in COLUMNS if c.key == sort)
    order = order or ("desc" if column.higher_is_better else "asc")
    phase, version = board_phase(db, phase_id, dataset_version_id)
    if phase is None:
        return Leaderboard(version, mode, sort, order, [])
    chosen: Split = split or ("private" if phase.private_revealed else "public")  # type: ignore[assignment]
    if chosen == "private" and not sees_private(viewer, phase):
        raise PermissionDenied(
            f"split: the private ranking of phase {phase.id} ({phase.name}) is hidden until "
            "the phase closes"
        )
    snapshot = phase.snapshot
    if snapshot is not None:
        ranked = [dict(row) for row in snapshot.document["boards"][chosen][mode]]
    else:
        ranked = ranked_rows(db, phase, chosen, mode)
    cards = method_card_ids(db, [row["submission_id"] for row in ranked])
    for row in ranked:  # cards stay editable: looked up live, frozen boards included
        row["method_card_id"] = cards.get(row["submission_id"])
    with_value = [row for row in ranked if row.get(sort) is not None]
    with_value.sort(key=lambda row: row[sort], reverse=order == "desc")
    rows = with_value + [row for row in ranked if row.get(sort) is None]  # blanks last
    return Leaderboard(version, mode, sort, order, rows, phase, chosen, snapshot is not None)


def leaderboard_csv(board: Leaderboard) -> str:
    """The rows as CSV, columns in `COLUMNS` order (formula-leading names neutralised)."""
    keys = [column.key for column in COLUMNS]
    return csv_document(keys, ([row.get(key) for key in keys] for row in board.rows))

"""Which submission stands for an entry on a phase's private board, as on Kaggle: the one
its team (or its participant without a team) selected, else its best public one.

An entry chooses among its own scored submissions of a phase while the phase is open; the
choice is `submissions.selected`, kept to one per entry and phase under the entry's quota
lock. `entry_picks` gives the leaderboard the choice of every entry of a phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from app.models import Phase, Submission, SubmissionStatus, User
from app.services.disclosure import split_metrics
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.phases import default_phase, get_phase
from app.services.quota import lock_quota
from app.services.report import headline_of
from app.services.teams import team_of

EntryKey = tuple[str, int, str]


def entry_key(submission: Submission) -> EntryKey:
    """Whose leaderboard entry a submission belongs to: its team's, else its user's (the
    method name does not split an entry); each baseline method keeps a row of its own."""
    if submission.is_baseline:
        return ("baseline", submission.user_id, submission.method)
    if submission.team_id is not None:
        return ("team", submission.team_id, "")
    return ("user", submission.user_id, "")


def _entry_filter(db: Session, user: User) -> Any:
    team = team_of(db, user)
    if team is not None:
        return Submission.team_id == team.id
    return (Submission.user_id == user.id) & Submission.team_id.is_(None)


def _candidates(db: Session, user: User, phase: Phase) -> list[Submission]:
    """The entry's submissions that may stand on the private board: scored, shown."""
    query = (
        select(Submission)
        .where(
            _entry_filter(db, user),
            Submission.phase_id == phase.id,
            Submission.status == SubmissionStatus.SCORED,
            Submission.hidden.is_(False),
            Submission.is_baseline.is_(False),
        )
        .options(selectinload(Submission.results), selectinload(Submission.user))
        .order_by(Submission.id)
    )
    return list(db.scalars(query))


def _public_merit(submission: Submission) -> tuple[float, float, int] | None:
    """The leaderboard's order on the public part: F1, mean class F1, the earlier upload."""
    result = submission.current_result
    metrics = split_metrics(result, "public") if result is not None else None
    if metrics is None:
        return None
    f1 = headline_of(metrics) or 0.0  # the CZII score on a real-data track
    classes = [c.get("f1") for c in (metrics.get("classification") or {}).values()]
    known = [value for value in classes if value is not None]
    return (f1, sum(known) / len(known) if known else 0.0, -submission.id)


def best_public(submissions: list[Submission]) -> Submission | None:
    """The submission an entry is shown with on the public board in `best` mode."""
    ranked = [(merit, s) for s in submissions if (merit := _public_merit(s)) is not None]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def entry_picks(db: Session, phase: Phase) -> dict[EntryKey, int]:
    """Every entry of `phase` -> the submission id standing for it on the private board:
    its selected one, else its best public one."""
    query = (
        select(Submission)
        .where(
            Submission.phase_id == phase.id,
            Submission.status == SubmissionStatus.SCORED,
            Submission.hidden.is_(False),
        )
        .options(selectinload(Submission.results))
    )
    by_entry: dict[EntryKey, list[Submission]] = {}
    for submission in db.scalars(query):
        by_entry.setdefault(entry_key(submission), []).append(submission)
    picks = {}
    for entry, submissions in by_entry.items():
        chosen = [s for s in submissions if s.selected and not s.is_baseline]
        pick = max(chosen, key=lambda s: s.id) if chosen else best_public(submissions)
        if pick is not None:
            picks[entry] = pick.id
    return picks


@dataclass(frozen=True)
class Selection:
    """An entry's private-board pick in a phase: the submission (None before any is
    scored), whether it is the default (the best public one), and the candidates."""

    phase: Phase
    submission: Submission | None
    default: bool
    candidates: list[Submission]


def selection_for(db: Session, user: User, phase_id: int) -> Selection:
    """The user's entry's pick in a phase.

    Raises:
        NotFound: no such phase.
    """
    phase = get_phase(db, phase_id)
    candidates = _candidates(db, user, phase)
    chosen = [s for s in candidates if s.selected]
    if chosen:
        return Selection(phase, max(chosen, key=lambda s: s.id), False, candidates)
    return Selection(phase, best_public(candidates), True, candidates)


def _open(phase: Phase) -> None:
    if phase.closed_at is not None:
        raise Conflict(f"phase {phase.id} ({phase.name}) is closed; its private board is final")


def select_for_private(db: Session, user: User, submission_id: int) -> Selection:
    """Make a submission its entry's pick for the private board of its phase (committed).

    Raises:
        NotFound: no such submission in the user's entry (a team's member may pick any of
            the team's). InvalidInput: not scored, hidden, or a baseline. Conflict: the
            phase is closed.
    """
    submission = db.get(Submission, submission_id)
    if submission is None or not db.scalar(
        select(Submission.id).where(Submission.id == submission_id, _entry_filter(db, user))
    ):
        raise NotFound(f"submission_id: no submission {submission_id} of your team or yours")
    if submission.status != SubmissionStatus.SCORED or submission.hidden or submission.is_baseline:
        raise InvalidInput(
            f"submission_id: submission {submission_id} is {submission.status}"
            f"{', hidden' if submission.hidden else ''}; only a scored, shown one can be selected"
        )
    _open(submission.phase)
    lock_quota(db, user)  # one pick per entry, also when two members choose at once
    _clear(db, user, submission.phase)
    submission.selected = True
    db.commit()
    return selection_for(db, user, submission.phase_id)


def _clear(db: Session, user: User, phase: Phase) -> None:
    db.execute(
        update(Submission)
        .where(_entry_filter(db, user), Submission.phase_id == phase.id)
        .values(selected=False)
    )


def clear_selection(db: Session, user: User, phase_id: int) -> Selection:
    """Back to the default: the entry's best public submission (committed).

    Raises:
        NotFound: no such phase. Conflict: the phase is closed.
    """
    phase = get_phase(db, phase_id)
    _open(phase)
    lock_quota(db, user)
    _clear(db, user, phase)
    db.commit()
    return selection_for(db, user, phase_id)


def phase_or_default(db: Session, phase_id: int | None) -> int:
    """The phase asked for, else the active version's default phase.

    Raises:
        NotFound: when no phase is asked for and none exists yet.
    """
    if phase_id is not None:
        return phase_id
    phase = default_phase(db)
    if phase is None:
        raise NotFound("phase: no dataset version has been released yet")
    return phase.id

"""Organizer actions on the leaderboard's entries: hide a submission (or a whole entry) with
a reason and show it again, rename a team or a submission's method, merge an entry into a
team, and re-score. Every action on an entry is logged (`ModerationAction`) with who did it,
when, why, and what changed, in the same transaction as the change itself.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from app.models import (
    MethodCard,
    ModerationAction,
    Submission,
    SubmissionStatus,
    Team,
    TeamInvite,
    TeamMember,
    User,
)
from app.services.dispatch import enqueue_scoring
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.names import clean_display_name
from app.services.selection import entry_key
from app.services.submissions import MAX_METHOD
from app.services.teams import get_team, rename_team, team_of

MAX_REASON = 2000


def find_submission(db: Session, submission_id: int) -> Submission:
    """Any submission by id.

    Raises:
        NotFound: if there is none.
    """
    submission = db.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"submission {submission_id} not found")
    return submission


def _reason(reason: str | None, *, required: bool, what: str) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise InvalidInput(f"reason: required when {what}")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters, got {len(text)}")
    return text


def log_action(
    db: Session,
    actor: User,
    action: str,
    target: str,
    reason: str = "",
    **details: Any,
) -> ModerationAction:
    """Add a row to the moderation log (flushed with the change it records)."""
    entry = ModerationAction(
        actor_id=actor.id,
        actor_name=actor.username,
        action=action,
        target=target[:300],
        reason=reason,
        details=details,
    )
    db.add(entry)
    db.flush()
    return entry


def _entry_name(submission: Submission) -> str:
    who = f"team '{submission.team_ref.name}'" if submission.team_ref else submission.user.username
    return f"submission {submission.id} ({submission.method}, {who})"


def set_hidden(
    db: Session,
    submission: Submission,
    reason: str | None,
    actor: User | None = None,
    *,
    whole_entry: bool = False,
) -> Submission:
    """Hide a submission from the leaderboard with a reason, or show it again (reason None);
    `whole_entry` does the same to every submission of its entry (team or participant) in
    its phase. Logged when `actor` is given (committed).

    Raises:
        InvalidInput: if hiding without a reason.
    """
    hiding = reason is not None
    text = _reason(reason, required=hiding, what="hiding a submission") if hiding else None
    targets = [submission]
    if whole_entry:
        key = entry_key(submission)
        same_phase = select(Submission).where(Submission.phase_id == submission.phase_id)
        targets = [s for s in db.scalars(same_phase) if entry_key(s) == key]
    for target in targets:
        target.hidden = hiding
        target.hidden_reason = text
    if actor is not None:
        log_action(
            db,
            actor,
            "hide" if hiding else "unhide",
            ("the entry of " if whole_entry else "") + _entry_name(submission),
            text or "",
            submissions=sorted(target.id for target in targets),
        )
    db.commit()
    return submission


def rename_method(
    db: Session, actor: User, submission: Submission, method: str, reason: str | None
) -> Submission:
    """Give a submission's method another name on the leaderboard (logged, committed).

    Raises:
        InvalidInput: a bad name or reason (naming the field).
    """
    new = clean_display_name("method", method, MAX_METHOD, required=True, privileged=True)
    old = submission.method
    target = _entry_name(submission)
    submission.method = new
    log_action(
        db, actor, "rename", target, _reason(reason, required=False, what=""), old=old, new=new
    )
    db.commit()
    return submission


def rename_team_entry(
    db: Session, actor: User, team_id: int, name: str, reason: str | None
) -> Team:
    """Give a team another name (logged, committed).

    Raises:
        NotFound: no such team. InvalidInput: a bad name. Conflict: the name is taken.
    """
    team = get_team(db, team_id)
    old = team.name
    rename_team(db, team, name)
    log_action(
        db,
        actor,
        "rename",
        f"team {team.id} ('{old}')",
        _reason(reason, required=False, what=""),
        old=old,
        new=team.name,
    )
    db.commit()
    return team


def merge_into_team(
    db: Session,
    actor: User,
    team_id: int,
    *,
    source_team_id: int | None = None,
    source_username: str | None = None,
    reason: str | None = None,
) -> Team:
    """Merge an entry into a team: the source team's (or participant's) submissions, method
    cards and members become the team's, so the two are one leaderboard row and share one
    quota from now on (logged, committed). The emptied source team stays, without members.

    Raises:
        NotFound: no such team or user. InvalidInput: neither or both sources, or a missing
            reason. Conflict: the source is the team itself (or already in it).
    """
    text = _reason(reason, required=True, what="merging entries")
    if (source_team_id is None) == (not source_username):
        raise InvalidInput("source: give either team_id or username of the entry to merge")
    team = get_team(db, team_id)
    if source_team_id is not None:
        source = get_team(db, source_team_id)
        if source.id == team.id:
            raise Conflict("team_id: an entry cannot be merged into itself")
        users = [member.user for member in source.members]
        moved = db.execute(
            update(Submission)
            .where(Submission.team_id == source.id, Submission.is_baseline.is_(False))
            .values(team_id=team.id, team=team.name, selected=False)
        )
        cards_of = f"team:{source.id}"
        target = f"team {source.id} ('{source.name}') into team {team.id} ('{team.name}')"
    else:
        user = db.scalar(select(User).where(User.username == (source_username or "").strip()))
        if user is None:
            raise NotFound(f"username: no user named {source_username!r}")
        current = team_of(db, user)
        if current is not None and current.id == team.id:
            raise Conflict(f"username: {user.username} is in team '{team.name}' already")
        users = [user]
        moved = db.execute(
            update(Submission)
            .where(
                Submission.user_id == user.id,
                Submission.team_id.is_(None),
                Submission.is_baseline.is_(False),
            )
            .values(team_id=team.id, team=team.name, selected=False)
        )
        cards_of = f"user:{user.id}"
        target = f"{user.username} into team {team.id} ('{team.name}')"
    _move_cards(db, cards_of, team)
    for user in users:
        db.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
        db.execute(delete(TeamInvite).where(TeamInvite.user_id == user.id))
        db.add(TeamMember(team_id=team.id, user_id=user.id))
    log_action(
        db,
        actor,
        "merge",
        target,
        text,
        members=[user.username for user in users],
        submissions_moved=moved.rowcount,  # type: ignore[attr-defined]
    )
    db.commit()
    return get_team(db, team.id)


def _move_cards(db: Session, owner_key: str, team: Team) -> None:
    """The source's method cards go to the team, where it has none of that method."""
    taken = set(db.scalars(select(MethodCard.method).where(MethodCard.team_id == team.id)))
    for card in db.scalars(select(MethodCard).where(MethodCard.owner_key == owner_key)):
        if card.method not in taken:
            card.owner_key, card.team_id, card.user_id = f"team:{team.id}", team.id, None


def moderation_log(db: Session, *, limit: int = 200, offset: int = 0) -> list[ModerationAction]:
    """The log, newest first."""
    query = (
        select(ModerationAction)
        .options(selectinload(ModerationAction.actor))
        .order_by(ModerationAction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(db.scalars(query))


def rescore(db: Session, celery: Celery, submission: Submission) -> Submission:
    """Score a submission again (a changed evaluator version adds a result row).

    Raises:
        Conflict: if it is waiting or being scored already.
    """
    if submission.status not in (SubmissionStatus.SCORED, SubmissionStatus.FAILED):
        raise Conflict(f"submission {submission.id} is {submission.status}; wait until it finishes")
    submission.status = SubmissionStatus.RECEIVED
    submission.error = None
    submission.attempts = 0
    db.commit()
    enqueue_scoring(db, celery, submission.id)
    db.refresh(submission)
    return submission

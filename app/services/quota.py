"""The daily quota of hidden-test submissions per participant or team (UTC days).

Counted: today's submissions that are not baselines and did not fail (a file refused by
validation never becomes a submission; a failed scoring does not count). A participant
without a team counts their own uploads; a team counts the uploads made for it and every
upload of its current members (so joining or leaving a team never frees quota). Organizers
and admins have no limit. An admin may set a participant's own limit, which replaces the
site's `daily_quota` for them; a team's limit is the smallest of its members' limits. A
phase with its own `daily_quota` counts only its own uploads against it (the participant's
own limit still wins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import Phase, Role, Submission, SubmissionStatus, Team, TeamMember, User, utcnow
from app.services.errors import InvalidInput


@dataclass(frozen=True)
class Quota:
    """Today's quota: `limit` and `remaining` are None for unlimited users."""

    limit: int | None
    used: int
    remaining: int | None
    resets_at: dt.datetime
    # the team whose quota it is (None: the user's own)
    team: str | None = None


def day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of the UTC day containing `now`."""
    start = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def _team(db: Session, user: User) -> Team | None:
    return db.scalar(select(Team).join(TeamMember).where(TeamMember.user_id == user.id))


def _members(db: Session, team: Team) -> list[User]:
    return list(db.scalars(select(User).join(TeamMember).where(TeamMember.team_id == team.id)))


def used_today(
    db: Session, user: User, now: dt.datetime | None = None, phase: Phase | None = None
) -> int:
    """How many of today's submissions (to `phase`, when given) count against the quota
    `user` draws on: their team's when they are in one."""
    start, _ = day_bounds(now or utcnow())
    team = _team(db, user)
    if team is None:
        whose = Submission.user_id == user.id
    else:
        member_ids = select(TeamMember.user_id).where(TeamMember.team_id == team.id)
        whose = or_(Submission.team_id == team.id, Submission.user_id.in_(member_ids))
    query = select(func.count(Submission.id)).where(
        whose,
        Submission.created_at >= start,
        Submission.status != SubmissionStatus.FAILED,
        Submission.is_baseline.is_(False),
    )
    if phase is not None and phase.daily_quota is not None:
        query = query.where(Submission.phase_id == phase.id)
    return db.scalar(query) or 0


def lock_quota(db: Session, user: User) -> None:
    """Take the lock that serialises uploads drawing on the same quota: the team's row, or
    the user's (a row lock on PostgreSQL; SQLite serialises all writes anyway)."""
    team = _team(db, user)
    if team is not None:
        db.execute(select(Team.id).where(Team.id == team.id).with_for_update())
    else:
        db.execute(select(User.id).where(User.id == user.id).with_for_update())


def quota_status(
    db: Session,
    user: User,
    settings: Settings,
    now: dt.datetime | None = None,
    phase: Phase | None = None,
) -> Quota:
    """The quota `user` draws on as of `now` (default: the current time) for uploads to
    `phase`."""
    now = now or utcnow()
    used = used_today(db, user, now, phase)
    _, resets_at = day_bounds(now)
    if user.role != Role.PARTICIPANT:
        return Quota(limit=None, used=used, remaining=None, resets_at=resets_at)
    site = settings.daily_quota
    if phase is not None and phase.daily_quota is not None:
        site = phase.daily_quota
    team = _team(db, user)
    members = _members(db, team) if team is not None else [user]
    # an admin's own limit for a member replaces the site's; its stop for one stops the team
    limit = min(site if member.daily_quota is None else member.daily_quota for member in members)
    remaining = max(limit - used, 0)
    return Quota(limit, used, remaining, resets_at, team.name if team else None)


MAX_OWN_QUOTA = 100_000


def parse_daily_quota(text: str) -> int | None:
    """A quota as typed in a form: a whole number, or empty (None) for the site's setting.

    Raises:
        InvalidInput: for anything else.
    """
    text = text.strip()
    if text and not text.isdigit():
        raise InvalidInput(f"daily_quota: expected a whole number or empty, got {text!r}")
    return int(text) if text else None


def set_daily_quota(db: Session, user: User, limit: int | None) -> User:
    """Give a participant a daily quota of their own (0 stops their uploads), or None to
    return them to the site's setting (committed).

    Raises:
        InvalidInput: for a negative or absurd limit.
    """
    if limit is not None and not 0 <= limit <= MAX_OWN_QUOTA:
        raise InvalidInput(f"daily_quota: expected 0 to {MAX_OWN_QUOTA} or empty, got {limit}")
    user.daily_quota = limit
    db.commit()
    return user


def until(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long from `now` until `moment`, as people say it: "3 h 12 min", "45 min", "1 min"."""
    minutes = max(1, int(((moment - (now or utcnow())).total_seconds() + 59) // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def remaining(db: Session, user: User, settings: Settings) -> int | None:
    """Submissions the user may still make today (None: unlimited)."""
    return quota_status(db, user, settings).remaining

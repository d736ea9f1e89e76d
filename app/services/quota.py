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
import enum
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import Phase, Role, Submission, SubmissionStatus, Team, TeamMember, User, utcnow
from app.services.errors import InvalidInput
from app.services.teams import team_of


@dataclass(frozen=True)
class Quota:
    """Today's quota: `limit` and `remaining` are None for unlimited users."""

    limit: int | None
    used: int
    remaining: int | None
    resets_at: dt.datetime
    # the team whose quota it is (None: the user's own)
    team: str | None = None


class Unset(enum.Enum):
    """An argument left out, where None has a meaning of its own (no team)."""

    UNSET = 0


UNSET = Unset.UNSET


def day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of the UTC day containing `now`."""
    start = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def _counted(user: User, team: Team | None, now: dt.datetime, phase: Phase | None) -> Select[int]:
    """The count of today's submissions (to `phase`, when it has its own quota) drawing on
    the quota of `team` (the user's own without one)."""
    start, _ = day_bounds(now)
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
    return query


def lock_quota(db: Session, user: User, team: Team | Unset | None = UNSET) -> None:
    """Take the lock that serialises uploads drawing on the same quota: the team's row, or
    the user's (a row lock on PostgreSQL; SQLite serialises all writes anyway). `team`: the
    user's team when the caller has just looked it up (None: in no team)."""
    team = team_of(db, user) if isinstance(team, Unset) else team
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
    team: Team | Unset | None = UNSET,
) -> Quota:
    """The quota `user` draws on as of `now` (default: the current time) for uploads to
    `phase`; `team`: the user's team when the caller has just looked it up (None: in no
    team). One query counts the uses and, for a team, finds its limit."""
    now = now or utcnow()
    team = team_of(db, user) if isinstance(team, Unset) else team
    _, resets_at = day_bounds(now)
    query = _counted(user, team, now, phase)
    if user.role != Role.PARTICIPANT:
        return Quota(limit=None, used=db.scalar(query) or 0, remaining=None, resets_at=resets_at)
    site = settings.daily_quota
    if phase is not None and phase.daily_quota is not None:
        site = phase.daily_quota
    own_limit = site if user.daily_quota is None else user.daily_quota
    if team is None:
        used, limit = db.scalar(query) or 0, own_limit
    else:
        # an admin's own limit for a member replaces the site's; its stop for one stops the team
        members_limit = (
            select(func.min(func.coalesce(User.daily_quota, site)))
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team.id)
            .scalar_subquery()
        )
        row = db.execute(query.add_columns(members_limit)).one()
        # no member left (the user left meanwhile): the user's own limit
        used, limit = row[0] or 0, own_limit if row[1] is None else row[1]
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

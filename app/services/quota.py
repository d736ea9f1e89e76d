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
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, or_, select
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


@functools.cache
def _count_statement(by_team: bool, in_phase: bool, with_team_limit: bool) -> Select[Any]:
    """The count of today's submissions drawing on one quota: the user's own (`user_id`) or
    a team's (`team_id`), since `start`, only those to `phase_id` when `in_phase`; with the
    team's limit (the smallest of its members', `site` for those without their own) when
    `with_team_limit`. Built once per shape: each upload runs it twice."""
    if by_team:
        team_id = bindparam("team_id", type_=Integer)
        member_ids = select(TeamMember.user_id).where(TeamMember.team_id == team_id)
        whose = or_(Submission.team_id == team_id, Submission.user_id.in_(member_ids))
    else:
        whose = Submission.user_id == bindparam("user_id")
    query = select(func.count(Submission.id)).where(
        whose,
        Submission.created_at >= bindparam("start"),
        Submission.status != SubmissionStatus.FAILED,
        Submission.is_baseline.is_(False),
    )
    if in_phase:
        query = query.where(Submission.phase_id == bindparam("phase_id"))
    if with_team_limit:
        # an admin's own limit for a member replaces the site's; its stop for one stops the team
        members_limit = (
            select(func.min(func.coalesce(User.daily_quota, bindparam("site", type_=Integer))))
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == bindparam("team_id"))
            .scalar_subquery()
        )
        query = query.add_columns(members_limit)
    return query


_LOCK_TEAM = select(Team.id).where(Team.id == bindparam("id")).with_for_update()
_LOCK_USER = select(User.id).where(User.id == bindparam("id")).with_for_update()


def lock_quota(db: Session, user: User, team: Team | Unset | None = UNSET) -> None:
    """Take the lock that serialises uploads drawing on the same quota: the team's row, or
    the user's (a row lock on PostgreSQL; SQLite serialises all writes anyway). `team`: the
    user's team when the caller has just looked it up (None: in no team)."""
    team = team_of(db, user) if isinstance(team, Unset) else team
    if team is not None:
        db.execute(_LOCK_TEAM, {"id": team.id})
    else:
        db.execute(_LOCK_USER, {"id": user.id})


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
    start, resets_at = day_bounds(now)
    site = settings.daily_quota
    phase_id = None
    if phase is not None and phase.daily_quota is not None:  # its own quota, its own uploads
        site, phase_id = phase.daily_quota, phase.id
    # each shape of the count takes the parameters it names
    params = {"user_id": user.id, "team_id": team.id if team else None, "start": start}
    params.update(phase_id=phase_id, site=site)
    in_team, limited = team is not None, user.role == Role.PARTICIPANT
    counted = _count_statement(in_team, phase_id is not None, in_team and limited)
    row = db.execute(counted, params).one()
    used = row[0]
    if not limited:
        return Quota(limit=None, used=used, remaining=None, resets_at=resets_at)
    own_limit = site if user.daily_quota is None else user.daily_quota
    # a team's: its members' smallest (none left: the user just left it, their own)
    limit = row[1] if in_team and row[1] is not None else own_limit
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

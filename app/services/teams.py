"""Teams: a participant creates one, members invite others, the invited join (or decline),
anyone leaves. A user is in at most one team at a time (a unique index on the membership),
so an upload always counts for one quota and one leaderboard entry: the team's.

Joining is a merge, as on Kaggle: the newcomer's own entries on the open dataset version
move to the team (so one person never holds a second row beside the team's). Leaving keeps
what was submitted with the team; the leaver starts again alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.models import Role, Submission, Team, TeamInvite, TeamMember, User
from app.services.datasets import active_dataset
from app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.services.names import clean_display_name, skeleton

MAX_TEAM_NAME = 100


# built once: every upload asks it
_TEAM_OF = select(Team).join(TeamMember).where(TeamMember.user_id == bindparam("user_id"))


def team_of(db: Session, user: User) -> Team | None:
    """The team `user` is in now, or None."""
    return db.scalar(_TEAM_OF, {"user_id": user.id})


def get_team(db: Session, team_id: int) -> Team:
    """A team by id (teams are public: their names are on the leaderboard).

    Raises:
        NotFound: if there is none.
    """
    # fresh from the database: sessions keep objects past a commit (expire_on_commit off)
    options = [selectinload(Team.members).selectinload(TeamMember.user)]
    team = db.get(Team, team_id, options=options, populate_existing=True)
    if team is None:
        raise NotFound(f"team {team_id} not found")
    return team


def clean_team_name(name: str | None, *, privileged: bool) -> str:
    """A team name as the leaderboard shows it (the rules of `names.clean_display_name`).

    Raises:
        InvalidInput: naming `name` and the problem.
    """
    return clean_display_name("name", name, MAX_TEAM_NAME, required=True, privileged=privileged)


def _name_taken(db: Session, name: str, but: int | None = None) -> bool:
    query = select(Team.id).where(Team.name_key == skeleton(name))
    if but is not None:
        query = query.where(Team.id != but)
    return db.scalar(query) is not None


def _not_in_a_team(db: Session, user: User) -> None:
    current = team_of(db, user)
    if current is not None:
        raise Conflict(f"you are in team '{current.name}'; leave it first")


def _move_own_entries(db: Session, user: User, team: Team) -> None:
    """The user's team-less uploads to the open dataset version become the team's."""
    dataset = active_dataset(db)
    if dataset is None:
        return
    db.execute(
        update(Submission)
        .where(
            Submission.user_id == user.id,
            Submission.team_id.is_(None),
            Submission.dataset_version_id == dataset.id,
            Submission.is_baseline.is_(False),
        )
        .values(team_id=team.id, team=team.name, selected=False)  # the team chooses anew
    )


def _commit_membership(db: Session, user: User) -> None:
    """Commit; a concurrent second membership of the same user is a 409, not a 500."""
    try:
        db.commit()
    except IntegrityError as error:
        db.rollback()
        raise Conflict("you are in a team already (or the name was just taken)") from error


def create_team(db: Session, user: User, name: str) -> Team:
    """A new team with `user` as its first member (committed).

    Raises:
        InvalidInput: a bad name (naming `name` and the problem).
        Conflict: the user is in a team already, or the name (or a look-alike) is taken.
    """
    name = clean_team_name(name, privileged=user.role != Role.PARTICIPANT)
    _not_in_a_team(db, user)
    if _name_taken(db, name):
        raise Conflict(f"name: a team named '{name}' (or one that looks like it) exists")
    team = Team(name=name, created_by_id=user.id)
    db.add(team)
    db.flush()
    db.add(TeamMember(team_id=team.id, user_id=user.id))
    _move_own_entries(db, user, team)
    _commit_membership(db, user)
    return get_team(db, team.id)


def _member_team(db: Session, user: User, team_id: int) -> Team:
    team = get_team(db, team_id)
    if all(member.user_id != user.id for member in team.members):
        raise PermissionDenied(f"only members of team '{team.name}' may do this")
    return team


def invite_member(db: Session, inviter: User, team_id: int, username: str) -> TeamInvite:
    """A member invites `username`; that user joins on accepting (committed).

    Raises:
        NotFound: no such team or user.
        PermissionDenied: the inviter is not a member.
        Conflict: the user is a member already, or already invited.
    """
    team = _member_team(db, inviter, team_id)
    invitee = db.scalar(select(User).where(User.username == (username or "").strip()))
    if invitee is None or not invitee.is_active:
        raise NotFound(f"username: no active user named {username!r}")
    if any(member.user_id == invitee.id for member in team.members):
        raise Conflict(f"username: {invitee.username} is a member of '{team.name}' already")
    invite = TeamInvite(team_id=team.id, user_id=invitee.id, invited_by_id=inviter.id)
    db.add(invite)
    try:
        db.commit()
    except IntegrityError as error:
        db.rollback()
        raise Conflict(f"username: {invitee.username} is invited already") from error
    return invite


def pending_invites(db: Session, user: User) -> list[TeamInvite]:
    """The invitations `user` has not answered, oldest first."""
    query = (
        select(TeamInvite)
        .where(TeamInvite.user_id == user.id)
        .options(selectinload(TeamInvite.team), selectinload(TeamInvite.invited_by))
        .order_by(TeamInvite.id)
    )
    return list(db.scalars(query))


def sent_invites(db: Session, team: Team) -> list[TeamInvite]:
    """The invitations `team` has sent that wait for an answer, oldest first."""
    query = (
        select(TeamInvite)
        .where(TeamInvite.team_id == team.id)
        .options(selectinload(TeamInvite.user), selectinload(TeamInvite.invited_by))
        .order_by(TeamInvite.id)
    )
    return list(db.scalars(query))


def withdraw_invite(db: Session, member: User, team_id: int, invite_id: int) -> TeamInvite:
    """A member withdraws an invitation of the team that waits for an answer (committed);
    the withdrawn invitation (its invitee still loaded).

    Raises:
        NotFound: no such team, or no such invitation of it (answered ones are gone).
        PermissionDenied: `member` is not a member of the team.
    """
    team = _member_team(db, member, team_id)
    invite = db.get(TeamInvite, invite_id)
    if invite is None or invite.team_id != team.id:
        raise NotFound(f"team '{team.name}' has no open invitation {invite_id}")
    db.refresh(invite, ["user"])  # loaded before the row goes: the caller names the invitee
    db.delete(invite)
    db.commit()
    return invite


def _invite(db: Session, user: User, team_id: int) -> TeamInvite:
    invite = db.scalar(
        select(TeamInvite).where(TeamInvite.team_id == team_id, TeamInvite.user_id == user.id)
    )
    if invite is None:
        get_team(db, team_id)  # a missing team is a 404 of its own
        raise PermissionDenied(f"you have no invitation to team {team_id}")
    return invite


def join_team(db: Session, user: User, team_id: int) -> Team:
    """Accept an invitation: the user becomes a member (committed), and their own entries on
    the open dataset version move to the team.

    Raises:
        NotFound: no such team.
        PermissionDenied: no invitation.
        Conflict: the user is in a team already.
    """
    invite = _invite(db, user, team_id)
    _not_in_a_team(db, user)
    team = invite.team
    db.delete(invite)
    db.add(TeamMember(team_id=team.id, user_id=user.id))
    _move_own_entries(db, user, team)
    _commit_membership(db, user)
    return get_team(db, team_id)


def decline_invite(db: Session, user: User, team_id: int) -> None:
    """Decline (delete) an invitation (committed).

    Raises:
        NotFound: no such team. PermissionDenied: no invitation.
    """
    db.delete(_invite(db, user, team_id))
    db.commit()


def leave_team(db: Session, user: User, team_id: int) -> Team:
    """Leave a team (committed); its entries stay with it, even when it has no member left.

    Raises:
        NotFound: no such team. PermissionDenied: the user is not a member.
    """
    team = _member_team(db, user, team_id)
    membership = next(member for member in team.members if member.user_id == user.id)
    team.members.remove(membership)
    db.commit()
    return get_team(db, team_id)


@dataclass(frozen=True)
class MyTeam:
    """What the team page and `GET /api/v1/teams/mine` show: the team and open invitations."""

    team: Team | None
    invites: list[TeamInvite]
    # the invitations the team sent that wait for an answer (who, by whom, when)
    sent: list[TeamInvite] = field(default_factory=list)


def my_team(db: Session, user: User) -> MyTeam:
    """The user's team (None without one), the invitations waiting for the user's answer,
    and those the team sent."""
    team = team_of(db, user)
    if team is None:
        return MyTeam(None, pending_invites(db, user))
    return MyTeam(get_team(db, team.id), pending_invites(db, user), sent_invites(db, team))


def rename_team(db: Session, team: Team, name: str) -> Team:
    """Give a team another name (flushed, not committed; organizers' moderation commits and
    logs it). Earlier uploads keep the name they were made under in `submissions.team`.

    Raises:
        InvalidInput: a bad name. Conflict: the name (or a look-alike) is another team's.
    """
    name = clean_team_name(name, privileged=True)
    if _name_taken(db, name, but=team.id):
        raise Conflict(f"name: a team named '{name}' (or one that looks like it) exists")
    team.name = name
    team.name_key = skeleton(name)
    db.flush()
    return team


def check_upload_team(team: Team | None, user: User, team_field: str | None) -> Team | None:
    """The team an upload by `user` counts for: `team`, the one they are in (`team_of`); a
    `team` field, when an old client still sends one, must name that team.

    Raises:
        InvalidInput: the field names another team, or the user is in none.
    """
    given = clean_display_name(
        "team", team_field, MAX_TEAM_NAME, required=False, privileged=user.role != Role.PARTICIPANT
    )
    if not given:
        return team
    if team is None:
        raise InvalidInput(
            f"team: you are in no team, so the upload counts for you alone; create or join "
            f"'{given}' first (POST /api/v1/teams, or the Team page), or leave the field out"
        )
    if skeleton(given) != team.name_key:
        raise InvalidInput(
            f"team: you are in team '{team.name}', not '{given}'; uploads count for your team "
            "(leave the field out)"
        )
    return team

"""`/api/v1/teams`: create a team, invite members, join (accept), decline, leave."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CurrentUser, IdPath, SessionDep
from app.models import Team, TeamInvite
from app.schemas import MyTeamPublic, TeamCreate, TeamInviteCreate, TeamInvitePublic, TeamPublic
from app.services.teams import (
    create_team,
    decline_invite,
    get_team,
    invite_member,
    join_team,
    leave_team,
    my_team,
)

router = APIRouter(prefix="/teams", tags=["teams"])


def present_team(team: Team) -> TeamPublic:
    """The API view of a team."""
    members = [member.user.username for member in team.members]
    return TeamPublic(id=team.id, name=team.name, members=members, created_at=team.created_at)


def present_invite(invite: TeamInvite) -> TeamInvitePublic:
    """The API view of an invitation."""
    return TeamInvitePublic(
        team_id=invite.team_id,
        team=invite.team.name,
        username=invite.user.username,
        invited_by=invite.invited_by.username if invite.invited_by else None,
        created_at=invite.created_at,
    )


@router.post("", response_model=TeamPublic, status_code=status.HTTP_201_CREATED)
def new_team(body: TeamCreate, db: SessionDep, user: CurrentUser) -> TeamPublic:
    """Create a team with the caller as its first member (409 if the caller is in a team or
    the name, or a look-alike of it, is taken). The caller's entries on the open dataset
    version become the team's."""
    return present_team(create_team(db, user, body.name))


@router.get("/mine", response_model=MyTeamPublic)
def mine(db: SessionDep, user: CurrentUser) -> MyTeamPublic:
    """The caller's team (null without one) and the invitations waiting for an answer."""
    found = my_team(db, user)
    return MyTeamPublic(
        team=present_team(found.team) if found.team else None,
        invites=[present_invite(invite) for invite in found.invites],
    )


@router.get("/{team_id}", response_model=TeamPublic)
def team_detail(team_id: IdPath, db: SessionDep) -> TeamPublic:
    """A team and its members."""
    return present_team(get_team(db, team_id))


@router.post(
    "/{team_id}/members", response_model=TeamInvitePublic, status_code=status.HTTP_201_CREATED
)
def invite(
    team_id: IdPath, body: TeamInviteCreate, db: SessionDep, user: CurrentUser
) -> TeamInvitePublic:
    """A member invites a user, who joins on accepting (`POST /teams/{id}/join`)."""
    return present_invite(invite_member(db, user, team_id, body.username))


@router.post("/{team_id}/join", response_model=TeamPublic)
def join(team_id: IdPath, db: SessionDep, user: CurrentUser) -> TeamPublic:
    """Accept an invitation (403 without one, 409 while in another team)."""
    return present_team(join_team(db, user, team_id))


@router.post("/{team_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
def decline(team_id: IdPath, db: SessionDep, user: CurrentUser) -> None:
    """Decline an invitation."""
    decline_invite(db, user, team_id)


@router.post("/{team_id}/leave", response_model=TeamPublic)
def leave(team_id: IdPath, db: SessionDep, user: CurrentUser) -> TeamPublic:
    """Leave the team; what it submitted stays with it."""
    return present_team(leave_team(db, user, team_id))

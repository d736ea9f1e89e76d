"""`/api/v1/teams`: create a team, invite members (and withdraw an invitation), join (accept),
decline, leave."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CurrentUser, IdPath, SessionDep
from app.schemas import MyTeamPublic, TeamCreate, TeamInviteCreate, TeamInvitePublic, TeamPublic
from app.services.teams import (
    create_team,
    decline_invite,
    get_team,
    invite_member,
    join_team,
    leave_team,
    my_team,
    withdraw_invite,
)

router = APIRouter(prefix="/teams", tags=["teams"])


@router.post("", response_model=TeamPublic, status_code=status.HTTP_201_CREATED)
def new_team(body: TeamCreate, db: SessionDep, user: CurrentUser) -> TeamPublic:
    """Create a team with the caller as its first member (409 if the caller is in a team or
    the name, or a look-alike of it, is taken). The caller's entries on the open dataset
    version become the team's."""
    return TeamPublic.model_validate(create_team(db, user, body.name))


@router.get("/mine", response_model=MyTeamPublic)
def mine(db: SessionDep, user: CurrentUser) -> MyTeamPublic:
    """The caller's team (null without one) and the invitations waiting for an answer."""
    return MyTeamPublic.model_validate(my_team(db, user))


@router.get("/{team_id}", response_model=TeamPublic)
def team_detail(team_id: IdPath, db: SessionDep) -> TeamPublic:
    """A team and its members."""
    return TeamPublic.model_validate(get_team(db, team_id))


@router.post(
    "/{team_id}/members", response_model=TeamInvitePublic, status_code=status.HTTP_201_CREATED
)
def invite(
    team_id: IdPath, body: TeamInviteCreate, db: SessionDep, user: CurrentUser
) -> TeamInvitePublic:
    """A member invites a user, who joins on accepting (`POST /teams/{id}/join`)."""
    return TeamInvitePublic.model_validate(invite_member(db, user, team_id, body.username))


@router.post("/{team_id}/join", response_model=TeamPublic)
def join(team_id: IdPath, db: SessionDep, user: CurrentUser) -> TeamPublic:
    """Accept an invitation (403 without one, 409 while in another team)."""
    return TeamPublic.model_validate(join_team(db, user, team_id))


@router.post("/{team_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
def decline(team_id: IdPath, db: SessionDep, user: CurrentUser) -> None:
    """Decline an invitation."""
    decline_invite(db, user, team_id)


@router.delete("/{team_id}/invites/{invite_id}", status_code=status.HTTP_204_NO_CONTENT)
def withdraw(team_id: IdPath, invite_id: IdPath, db: SessionDep, user: CurrentUser) -> None:
    """A member withdraws an invitation of the team that waits for an answer (404 when
    there is none: answered invitations are gone)."""
    withdraw_invite(db, user, team_id, invite_id)


@router.post("/{team_id}/leave", response_model=TeamPublic)
def leave(team_id: IdPath, db: SessionDep, user: CurrentUser) -> TeamPublic:
    """Leave the team; what it submitted stays with it."""
    return TeamPublic.model_validate(leave_team(db, user, team_id))

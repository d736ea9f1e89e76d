"""`/api/v1/selection`: which submission stands for the caller's entry on a phase's private
board (the one selected, else the best public one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import MAX_ID, CurrentUser, SessionDep
from app.schemas import SelectionPublic, SelectionUpdate
from app.services.selection import (
    clear_selection,
    phase_or_default,
    select_for_private,
    selection_for,
)

router = APIRouter(prefix="/selection", tags=["selection"])

PhaseQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="phase id (default: the active one's)")
]


@router.get("", response_model=SelectionPublic)
def my_selection(db: SessionDep, user: CurrentUser, phase: PhaseQuery = None) -> SelectionPublic:
    """The caller's entry's pick for the private board (`default`: its best public one)."""
    return SelectionPublic.model_validate(selection_for(db, user, phase_or_default(db, phase)))


@router.put("", response_model=SelectionPublic, responses={409: {}})
def choose(body: SelectionUpdate, db: SessionDep, user: CurrentUser) -> SelectionPublic:
    """Select one of the entry's scored submissions for its phase's private board (409 once
    the phase is closed)."""
    return SelectionPublic.model_validate(select_for_private(db, user, body.submission_id))


@router.delete("", response_model=SelectionPublic, responses={409: {}})
def back_to_default(db: SessionDep, user: CurrentUser, phase: PhaseQuery = None) -> SelectionPublic:
    """Drop the choice: the entry's best public submission stands again."""
    return SelectionPublic.model_validate(clear_selection(db, user, phase_or_default(db, phase)))

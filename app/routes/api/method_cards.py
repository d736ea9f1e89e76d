"""`/api/v1/method-cards`: read any method card, write and edit one's own."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CurrentUser, IdPath, SessionDep
from app.schemas import MethodCardCreate, MethodCardFields, MethodCardPublic, MethodCardsPublic
from app.services.method_cards import (
    CardFields,
    card_view,
    create_card,
    get_card,
    my_cards,
    update_card,
)

router = APIRouter(prefix="/method-cards", tags=["method cards"])


def _fields(body: MethodCardFields) -> CardFields:
    return CardFields(**body.model_dump(exclude={"method"}))


@router.post("", response_model=MethodCardPublic, status_code=status.HTTP_201_CREATED)
def new_card(body: MethodCardCreate, db: SessionDep, user: CurrentUser) -> MethodCardPublic:
    """A card for one of the caller's methods, owned by the caller's team (or the caller
    without one); 409 if that owner has one for the method already."""
    card = create_card(db, user, body.method, _fields(body))
    return MethodCardPublic(**card_view(card))


@router.get("/mine", response_model=MethodCardsPublic)
def mine(db: SessionDep, user: CurrentUser) -> MethodCardsPublic:
    """The cards the caller may edit."""
    cards = [MethodCardPublic(**card_view(card)) for card in my_cards(db, user)]
    return MethodCardsPublic(data=cards, count=len(cards))


@router.get("/{card_id}", response_model=MethodCardPublic)
def card_detail(card_id: IdPath, db: SessionDep) -> MethodCardPublic:
    """A method card (public, as the leaderboard that links to it)."""
    return MethodCardPublic(**card_view(get_card(db, card_id)))


@router.put("/{card_id}", response_model=MethodCardPublic)
def edit_card(
    card_id: IdPath, body: MethodCardFields, db: SessionDep, user: CurrentUser
) -> MethodCardPublic:
    """Replace a card's fields; only its owner (a member of its team, or its author) may."""
    return MethodCardPublic(**card_view(update_card(db, user, card_id, _fields(body))))

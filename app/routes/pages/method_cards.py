"""Method card pages: read any card; write one for a method, and edit it, as its owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from app.deps import IdPath
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, PageUser, field_errors
from app.services.errors import PermissionDenied, ServiceError
from app.services.method_cards import (
    CardFields,
    can_edit,
    card_view,
    create_card,
    get_card,
    update_card,
)

router = APIRouter(route_class=HTMLErrorRoute)

CARD_FIELDS = (
    "method",
    "authors",
    "affiliation",
    "description",
    "code_url",
    "paper",
    "training_data",
    "compute_hardware",
    "compute_time",
)
Text = Annotated[str, Form(max_length=100000)]


def _form_page(
    page: PageDep,
    form: dict[str, str],
    card_id: int | None = None,
    error: ServiceError | None = None,
) -> HTMLResponse:
    context = {
        "card_id": card_id,
        "form": form,
        "errors": [error.message] if error else [],
        "field_errors": field_errors(error.message, CARD_FIELDS) if error else {},
    }
    return page.render("method_card_form.html", context, error.status_code if error else 200)


@router.get("/methods/new", response_class=HTMLResponse)
def new_card_form(
    page: PageDep, user: PageUser, method: Annotated[str, Query(max_length=1000)] = ""
) -> HTMLResponse:
    """The form of a new card, for one of the user's (or their team's) method names."""
    return _form_page(page, {"method": method})


@router.get("/methods/{card_id}", response_class=HTMLResponse)
def card_page(page: PageDep, card_id: IdPath) -> HTMLResponse:
    """A method card, its description rendered safely."""
    card = get_card(page.db, card_id)
    context = {"card": card_view(card), "editable": can_edit(page.db, page.user, card)}
    return page.render("method_card.html", context)


@router.get("/methods/{card_id}/edit", response_class=HTMLResponse)
def edit_card_form(page: PageDep, user: PageUser, card_id: IdPath) -> HTMLResponse:
    """The card's form, for its owner only."""
    card = get_card(page.db, card_id)
    if not can_edit(page.db, user, card):
        raise PermissionDenied("only the card's owner (its team, or its author) may edit it")
    form = {name: getattr(card, name) for name in CARD_FIELDS}
    return _form_page(page, form, card_id)


def _fields(form: dict[str, str]) -> CardFields:
    return CardFields(**{name: form[name] for name in CARD_FIELDS if name != "method"})


@router.post("/methods", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_card_form(
    page: PageDep,
    user: PageUser,
    method: Text = "",
    authors: Text = "",
    affiliation: Text = "",
    description: Text = "",
    code_url: Text = "",
    paper: Text = "",
    training_data: Text = "",
    compute_hardware: Text = "",
    compute_time: Text = "",
) -> Response:
    """Create the card; a problem is shown on the kept form."""
    form = _kept(locals())
    try:
        card = create_card(page.db, user, method, _fields(form))
    except ServiceError as error:
        page.db.rollback()
        return _form_page(page, form, None, error)
    return page.redirect(f"/methods/{card.id}", f"Method card for {card.method} saved.")


@router.post("/methods/{card_id}/edit", response_class=HTMLResponse, dependencies=[CsrfChecked])
def update_card_form(
    page: PageDep,
    user: PageUser,
    card_id: IdPath,
    authors: Text = "",
    affiliation: Text = "",
    description: Text = "",
    code_url: Text = "",
    paper: Text = "",
    training_data: Text = "",
    compute_hardware: Text = "",
    compute_time: Text = "",
) -> Response:
    """Save the owner's changes; a problem is shown on the kept form."""
    form = _kept(locals())
    try:
        card = update_card(page.db, user, card_id, _fields(form))
    except PermissionDenied:
        raise
    except ServiceError as error:
        page.db.rollback()
        form["method"] = get_card(page.db, card_id).method
        return _form_page(page, form, card_id, error)
    return page.redirect(f"/methods/{card.id}", f"Method card for {card.method} saved.")


def _kept(values: dict[str, object]) -> dict[str, str]:
    """The posted fields of a card form, as typed."""
    return {name: str(values.get(name, "")) for name in CARD_FIELDS}

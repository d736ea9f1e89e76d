"""Method cards: what a method is and how it was made, kept with its results.

A card belongs to an owner (the team of its author, or the author alone without a team) and
a method name; the submissions of that owner under that name show it (`method_card_for`),
on the leaderboard and in a phase's report. Only the owner edits it. The description is
Markdown rendered by markdown-it-py with raw HTML off, images off, and links kept to an
allow-list of schemes, so no script, event handler or `javascript:` link reaches a page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import MethodCard, Role, Submission, TeamMember, User, utcnow
from app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.services.names import clean_display_name
from app.services.submissions import MAX_METHOD, _clean_text
from app.services.teams import team_of

MAX_DESCRIPTION = 10_000  # about one printed page
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
DOI = re.compile(r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.IGNORECASE)
HTTP_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
# field: (longest text, multi-line)
TEXT_FIELDS = {
    "authors": (1000, False),
    "affiliation": (1000, False),
    "training_data": (2000, True),
    "compute_hardware": (300, False),
    "compute_time": (100, False),
}


def _scheme(url: str) -> str | None:
    """The scheme of `url` if it has one (a ':' before any '/', '?' or '#'), lower-cased."""
    end = re.search(r"[:/?#]", url)
    if end is None or end.group() != ":":
        return None
    return url[: end.start()].strip().lower()


def safe_link(url: str) -> bool:
    """Whether a Markdown link may point there: http, https, mailto, or a relative link."""
    scheme = _scheme(url)
    return scheme is None or scheme in LINK_SCHEMES


def _link_open(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # links lead off-site: no referrer, no ranking credit, no access to this window
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    md.disable("image")  # no pictures from elsewhere (the site's policy blocks them anyway)
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


def render_markdown(text: str) -> Markup:
    """A card's description as safe HTML: raw HTML is shown as text, links keep to
    `LINK_SCHEMES`, everything else is escaped by markdown-it-py."""
    return Markup(_markdown().render(text))  # markdown-it escaped it: html is off


def paper_url(paper: str) -> str | None:
    """The link of a paper field: its DOI resolver address, or the URL itself."""
    match = DOI.fullmatch(paper)
    if match:
        return f"https://doi.org/{match.group(1)}"
    return paper if HTTP_URL.fullmatch(paper) else None


@dataclass(frozen=True)
class CardFields:
    """The editable fields of a card, as a form or the API gives them."""

    authors: str = ""
    affiliation: str = ""
    description: str = ""
    code_url: str = ""
    paper: str = ""
    training_data: str = ""
    compute_hardware: str = ""
    compute_time: str = ""


def clean_fields(fields: CardFields) -> dict[str, str]:
    """The fields checked and trimmed.

    Raises:
        InvalidInput: naming the field and the problem.
    """
    cleaned = {}
    for name, (limit, multiline) in TEXT_FIELDS.items():
        text = _clean_text(name, getattr(fields, name), limit)
        cleaned[name] = text if multiline else " ".join(text.split())
    cleaned["description"] = _clean_text("description", fields.description, MAX_DESCRIPTION)
    code_url = _clean_text("code_url", fields.code_url, 500)
    if code_url and not HTTP_URL.fullmatch(code_url):
        raise InvalidInput(f"code_url: an http or https address, got {code_url!r}")
    paper = _clean_text("paper", fields.paper, 500)
    if paper:
        link = paper_url(paper)
        if link is None:
            raise InvalidInput(
                f"paper: a DOI (10.xxxx/...) or an http or https address, got {paper!r}"
            )
        paper = link  # a DOI is kept as its resolver's address
    return {**cleaned, "code_url": code_url, "paper": paper}


def owner_key_of(submission: Submission) -> str:
    """Whose cards describe a submission: its team's, else its uploader's."""
    if submission.team_id is not None and not submission.is_baseline:
        return f"team:{submission.team_id}"
    return f"user:{submission.user_id}"


def method_card_for(db: Session, submission: Submission) -> MethodCard | None:
    """The card of a submission's method (None when its owner wrote none)."""
    return db.scalar(
        select(MethodCard).where(
            MethodCard.owner_key == owner_key_of(submission),
            MethodCard.method == submission.method,
        )
    )


def method_card_ids(db: Session, submission_ids: Iterable[int]) -> dict[int, int]:
    """Submission id -> card id, for those of `submission_ids` whose method has a card (two
    queries, whatever the number of rows)."""
    ids = list(set(submission_ids))
    if not ids:
        return {}
    submissions = list(db.scalars(select(Submission).where(Submission.id.in_(ids))))
    keys = {(owner_key_of(s), s.method): s.id for s in submissions}
    owners = {owner for owner, _ in keys}
    cards = db.execute(
        select(MethodCard.id, MethodCard.owner_key, MethodCard.method).where(
            MethodCard.owner_key.in_(owners)
        )
    )
    by_key = {(owner, method): card_id for card_id, owner, method in cards}
    found = {}
    for submission in submissions:
        card_id = by_key.get((owner_key_of(submission), submission.method))
        if card_id is not None:
            found[submission.id] = card_id
    return found


def get_card(db: Session, card_id: int) -> MethodCard:
    """A card by id (cards are public, as the leaderboard is).

    Raises:
        NotFound: if there is none.
    """
    card = db.get(MethodCard, card_id)
    if card is None:
        raise NotFound(f"method card {card_id} not found")
    return card


def can_edit(db: Session, user: User | None, card: MethodCard) -> bool:
    """Only the owner edits a card: a member of its team, or its author without a team."""
    if user is None:
        return False
    if card.team_id is not None:
        membership = select(TeamMember.id).where(
            TeamMember.team_id == card.team_id, TeamMember.user_id == user.id
        )
        return db.scalar(membership) is not None
    return card.user_id == user.id


def create_card(db: Session, user: User, method: str, fields: CardFields) -> MethodCard:
    """A card for `method` owned by the user's team, or by the user without one (committed).

    Raises:
        InvalidInput: a bad field. Conflict: the owner has a card for that method already.
    """
    method = clean_display_name(
        "method", method, MAX_METHOD, required=True, privileged=user.role != Role.PARTICIPANT
    )
    values = clean_fields(fields)
    team = team_of(db, user)
    card = MethodCard(
        owner_key=f"team:{team.id}" if team else f"user:{user.id}",
        team_id=team.id if team else None,
        user_id=None if team else user.id,
        method=method,
        updated_by_id=user.id,
        **values,
    )
    db.add(card)
    try:
        db.commit()
    except IntegrityError as error:
        db.rollback()
        raise Conflict(f"method: a card for {method!r} exists already; edit that one") from error
    return card


def update_card(db: Session, user: User, card_id: int, fields: CardFields) -> MethodCard:
    """Replace a card's fields (committed); only its owner may.

    Raises:
        NotFound: no such card. PermissionDenied: not the owner. InvalidInput: a bad field.
    """
    card = get_card(db, card_id)
    if not can_edit(db, user, card):
        raise PermissionDenied("only the card's owner (its team, or its author) may edit it")
    for name, value in clean_fields(fields).items():
        setattr(card, name, value)
    card.updated_at = utcnow()
    card.updated_by_id = user.id
    db.commit()
    return card


def my_cards(db: Session, user: User) -> list[MethodCard]:
    """The cards the user may edit: their team's, or their own without a team."""
    team = team_of(db, user)
    owner = f"team:{team.id}" if team else f"user:{user.id}"
    return list(
        db.scalars(select(MethodCard).where(MethodCard.owner_key == owner).order_by(MethodCard.id))
    )


def card_view(card: MethodCard) -> dict[str, Any]:
    """What a page or the API shows of a card (the description also as safe HTML)."""
    return {
        "id": card.id,
        "method": card.method,
        "team": card.team.name if card.team else None,
        "user": card.user.username if card.user else None,
        "authors": card.authors,
        "affiliation": card.affiliation,
        "description": card.description,
        "description_html": str(render_markdown(card.description)),
        "code_url": card.code_url,
        "paper": card.paper,
        "paper_url": paper_url(card.paper) if card.paper else None,
        "training_data": card.training_data,
        "compute_hardware": card.compute_hardware,
        "compute_time": card.compute_time,
        "created_at": card.created_at,
        "updated_at": card.updated_at,
    }

"""Method cards against a running service (both backends): the Markdown description never
brings a script, an event handler, a `javascript:` link or raw HTML to a page or the API;
only the owner (the team, or the author without one) edits; fields are checked by name;
every leaderboard row links to the card of its method."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Submission
from app.services.method_cards import method_card_for
from tests.app.pages_support import csrf_from, register_in_browser
from tests.app.support import GOOD_SUBMISSION, new_user, upload, wait_for_status
from tests.app.test_teams import make_team

HOSTILE = """# My picker

<script>alert('script')</script>
<img src=x onerror="alert('img')">
<a href="javascript:alert('raw')">raw link</a>
[plain js](javascript:alert('md'))
[mixed case](JaVaScRiPt:alert('md2'))
[encoded](java%0ascript:alert('md3'))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<javascript:alert('auto')>
![pixel](https://tracker.example/p.png)
<div onclick="alert('div')">div</div>

**Fine**: [code](https://example.org/code) and [mail](mailto:a@example.org), `x < y`.
"""


class Tags(HTMLParser):
    """Every start tag with its attributes, of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def assert_safe(html: str) -> None:
    """No script, no event handler, no raw HTML element, links only to http(s)/mailto."""
    tags = tags_of(html)
    assert tags, "nothing rendered"
    allowed = {"h1", "p", "a", "strong", "em", "code", "pre", "ul", "ol", "li", "br", "hr"}
    for tag, attrs in tags:
        assert tag in allowed, f"<{tag}> reached the page"
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "a":
            href = attrs["href"] or ""
            assert href.split(":", 1)[0] in ("https", "mailto"), href
    hrefs = [attrs["href"] for tag, attrs in tags if tag == "a"]
    # the image is only a link: no picture is fetched from elsewhere
    assert hrefs == [
        "https://tracker.example/p.png",
        "https://example.org/code",
        "mailto:a@example.org",
    ]


def _description_html(page: str) -> str:
    start = page.index('<div class="markdown" id="card-description">')
    return page[start : page.index("</div>", start)].split(">", 1)[1]


def _card(client: TestClient, headers: dict[str, str], **fields: str) -> dict[str, object]:
    response = client.post("/api/v1/method-cards", headers=headers, json=fields)
    assert response.status_code == 201, response.text
    card: dict[str, object] = response.json()
    return card


def test_markdown_is_rendered_safely_in_the_api_and_on_the_page(
    client: TestClient, service: Settings
) -> None:
    headers = new_user(service)
    card = _card(client, headers, method="Safe picker", description=HOSTILE)
    assert card["description"] == HOSTILE.strip()
    assert_safe(str(card["description_html"]))
    page = client.get(f"/methods/{card['id']}")
    assert page.status_code == 200
    assert_safe(_description_html(page.text))
    assert "<strong>Fine</strong>" in page.text
    assert "&lt;script&gt;" in page.text  # raw HTML is shown as text, never run
    # the page itself carries the site's own script only
    assert [attrs.get("src") for tag, attrs in tags_of(page.text) if tag == "script"] == [
        "/static/site.js"
    ]


def test_only_the_owner_edits_and_fields_are_checked(client: TestClient, service: Settings) -> None:
    alice, bob, mallory = new_user(service), new_user(service), new_user(service)
    make_team(client, alice, bob)
    card = _card(
        client,
        alice,
        method="Team picker",
        authors="A. Author",
        paper="doi:10.1016/j.jsb.2019.05.001",
        code_url="https://example.org/picker",
    )
    assert card["team"] is not None
    assert card["paper"] == "https://doi.org/10.1016/j.jsb.2019.05.001"
    path = f"/api/v1/method-cards/{card['id']}"
    denied = client.put(path, headers=mallory, json={"authors": "Mallory"})
    assert denied.status_code == 403
    assert "owner" in denied.json()["detail"]
    assert client.put(path, json={"authors": "anonymous"}).status_code == 401
    # a team member who did not write it is an owner too
    edited = client.put(path, headers=bob, json={"authors": "A. Author, B. Author"})
    assert edited.status_code == 200, edited.text
    assert client.get(path).json()["authors"] == "A. Author, B. Author"
    duplicate = client.post("/api/v1/method-cards", headers=bob, json={"method": "Team picker"})
    assert duplicate.status_code == 409
    for fields, problem in (
        ({"code_url": "javascript:alert(1)"}, "code_url: an http or https address"),
        ({"paper": "see our poster"}, "paper: a DOI"),
        ({"description": "x" * 10_001}, "description: at most 10000 characters"),
        ({"authors": "A\x00B"}, "authors: contains control characters"),
    ):
        refused = client.put(path, headers=bob, json=fields)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith(problem), refused.text
    bad_method = client.post(
        "/api/v1/method-cards", headers=mallory, json={"method": "Official\u200bpicker"}
    )
    assert bad_method.status_code == 422
    assert bad_method.json()["detail"].startswith("method: ")
    assert client.get("/api/v1/method-cards/999999").status_code == 404


def test_the_edit_page_is_the_owners_only(client: TestClient, service: Settings) -> None:
    with TestClient(create_app(service)) as stranger:
        register_in_browser(client)
        register_in_browser(stranger)
        created = client.post(
            "/methods",
            data={"csrf_token": csrf_from(client, "/methods/new"), "method": "Page picker"},
            follow_redirects=False,
        )
        assert created.status_code == 303
        card_path = created.headers["location"]
        assert 'id="edit-card"' in client.get(card_path).text
        assert 'id="edit-card"' not in stranger.get(card_path).text
        assert stranger.get(f"{card_path}/edit").status_code == 403
        token = csrf_from(stranger, "/methods/new")
        forged = stranger.post(f"{card_path}/edit", data={"csrf_token": token, "authors": "X"})
        assert forged.status_code == 403
        bad = client.post(
            f"{card_path}/edit",
            data={"csrf_token": csrf_from(client, f"{card_path}/edit"), "code_url": "ftp://x"},
        )
        assert bad.status_code == 422
        assert 'id="code_url-error"' in bad.text
        saved = client.post(
            f"{card_path}/edit",
            data={
                "csrf_token": csrf_from(client, f"{card_path}/edit"),
                "description": "Uses **DoG**.",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert "Uses <strong>DoG</strong>." in client.get(card_path).text


@pytest.fixture
def scored(client: TestClient, service: Settings) -> tuple[dict[str, str], int]:
    headers = new_user(service)
    created = upload(client, headers, GOOD_SUBMISSION, method=f"carded {uuid.uuid4().hex[:6]}")
    assert created.status_code == 201, created.text
    submission_id: int = created.json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    return headers, submission_id


def test_every_leaderboard_row_links_its_method_card(
    client: TestClient, service: Settings, scored: tuple[dict[str, str], int]
) -> None:
    headers, submission_id = scored

    def my_row() -> dict[str, object]:
        rows = client.get("/api/v1/leaderboard").json()["rows"]
        return next(row for row in rows if row["submission_id"] == submission_id)

    assert my_row()["method_card_id"] is None
    method = str(my_row()["method"])
    card = _card(client, headers, method=method, authors="Me")
    assert my_row()["method_card_id"] == card["id"]
    with session_factory(service.sqlalchemy_url)() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        found = method_card_for(db, submission)
        assert found is not None
        assert found.id == card["id"]
        submission.method = "another name"  # not flushed: only the lookup changes
        assert method_card_for(db, submission) is None
        db.rollback()
    board = client.get("/leaderboard").text
    assert f'href="/methods/{card["id"]}"' in board

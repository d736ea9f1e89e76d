"""Public pages and the HTML error pages, on both backends (no dataset, no worker)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from evaluation.classes import CLASSES


def test_home_explains_how_to_take_part(fresh_client: TestClient) -> None:
    page = fresh_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "tomobench submit" in page.text
    assert " ".join(CLASSES) in page.text
    assert "No dataset has been released yet" in page.text
    assert 'href="/register"' in page.text
    assert 'href="/static/style.css"' in page.text


def test_public_pages_and_assets_need_no_account(fresh_client: TestClient) -> None:
    for path in ("/leaderboard", "/datasets", "/login", "/register"):
        assert fresh_client.get(path).status_code == 200, path
    board = fresh_client.get("/leaderboard")
    assert "No dataset version has been released yet" in board.text
    assert fresh_client.get("/static/style.css").headers["content-type"].startswith("text/css")
    assert "data-sortable" in fresh_client.get("/static/site.js").text


@pytest.mark.parametrize("path", ["/submit", "/submissions", "/tokens", "/submissions/1"])
def test_member_pages_send_anonymous_visitors_to_login(fresh_client: TestClient, path: str) -> None:
    response = fresh_client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_unknown_pages_answer_html_404_and_the_api_keeps_json(fresh_client: TestClient) -> None:
    page = fresh_client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    assert "/no/such/page" in page.text
    api = fresh_client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=bogus", "sort: unknown column"),
        ("mode=worst", "mode"),
        ("dataset=abc", "dataset"),
        ("dataset=999", "dataset version 999 not found"),
        ("dataset=99999999999999999999", "dataset: Input should be less than or equal to"),
    ],
)
def test_bad_leaderboard_queries_are_explained_in_html(
    fresh_client: TestClient, query: str, message: str
) -> None:
    page = fresh_client.get(f"/leaderboard?{query}")
    assert page.status_code in (404, 422)
    assert page.headers["content-type"].startswith("text/html")
    assert message in page.text
    assert "<h1>" in page.text


def test_page_links_to_the_leaderboard_reach_the_page_not_the_api(
    fresh_client: TestClient,
) -> None:
    home = fresh_client.get("/")
    assert 'href="/leaderboard"' in home.text
    assert 'action="/api/v1/leaderboard"' not in fresh_client.get("/leaderboard").text

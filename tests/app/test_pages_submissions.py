"""Upload form, my submissions, the report page and its access rules, against a running
service with a real worker (both backends). The file is `GOOD_SUBMISSION`, scored by hand in
`tests/app/support.py`: 4 particles; picks hit particles 1 and 2 with the right class and
particle 3 with the wrong one, and one lands on background; particle 4 is missed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Role, User
from tests.app.pages_support import cell_texts, register_in_browser, upload_in_browser
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, wait_until


@pytest.fixture
def stranger(service: Settings) -> Iterator[TestClient]:
    """A second browser, logged in as another participant."""
    with TestClient(create_app(service)) as browser:
        register_in_browser(browser)
        yield browser


def submit_and_wait(client: TestClient, method: str) -> int:
    """Upload GOOD_SUBMISSION through the form and wait until its page says scored; its id."""
    response = upload_in_browser(client, GOOD_SUBMISSION, method=method)
    assert response.status_code == 303
    assert response.headers["location"] == "/submissions"
    listing = client.get("/submissions").text
    found = re.search(r"Submission (\d+) received: 4 predictions", listing)
    assert found is not None
    submission_id = int(found.group(1))
    wait_until(
        lambda: "status-scored" in client.get(f"/submissions/{submission_id}").text,
        60,
        f"submission {submission_id} to be scored",
    )
    return submission_id


def test_upload_form_shows_quota_and_explains_a_refused_file(client: TestClient) -> None:
    register_in_browser(client)
    form = client.get("/submit")
    assert re.search(r'id="quota">1000</strong>\s*of 1000', form.text)
    assert "This upload counts for you alone" in form.text  # no free-text team any more
    assert 'name="team"' not in form.text
    bad = upload_in_browser(client, b"1bxn 10 10 10\nfoo 1 2 3\n", method="My picker")
    assert bad.status_code == 422
    assert "line 2" in bad.text
    assert 'id="file-error"' in bad.text
    assert 'value="My picker"' in bad.text  # nothing typed is lost
    assert "picks.txt" in bad.text  # the file must be chosen again, and the form says so
    empty = upload_in_browser(client, b"", method="My picker")
    assert empty.status_code == 422
    assert "the file is empty" in empty.text
    no_method = upload_in_browser(client, GOOD_SUBMISSION, method="  ")
    assert no_method.status_code == 422
    assert 'id="method-error"' in no_method.text
    assert "No submissions yet" in client.get("/submissions").text  # refused files cost nothing


def test_scored_report_shows_the_hand_computed_tables(
    client: TestClient, service: Settings
) -> None:
    register_in_browser(client)
    method = f"spheres-{uuid.uuid4().hex[:6]}"
    submission_id = submit_and_wait(client, method)

    listing = client.get("/submissions").text
    assert "data-poll" not in listing  # nothing pending: no more refreshing
    # the participant's own page shows the public part of the hidden test while the phase
    # is open; the hand-computed figures are the whole test's, as organizers see them
    assert 'id="split-note"' in client.get(f"/submissions/{submission_id}").text
    report = client.get(f"/submissions/{submission_id}", headers=new_user(service, Role.ORGANIZER))
    assert report.status_code == 200
    # RR TP FP FN MH RO; AD = (0 + 1 + 1) / 3 over the three hits; recall = precision = 3/4
    assert cell_texts(report.text, "localization") == [
        ["4", "3", "1", "1", "0", "0", "0.6667", "0.6667", "0.7500", "0.7500", "0.2500", "0.7500"]
    ]
    classes = {row[0]: row for row in cell_texts(report.text, "per-class")}
    # 1bxn: its particle found (TP 1) and the 4b4t particle called 1bxn (FP 1): F1 = 2/3
    assert classes["1bxn"][2:] == ["1", "1", "0", "0.500", "1.000", "0.667"]
    assert classes["4b4t"][2:5] == ["0", "0", "1"]
    assert classes["3qm1"][-1] == "–"  # no 3qm1 particle and no 3qm1 pick: undefined
    groups = {row[0]: row[2] for row in cell_texts(report.text, "size-groups")}
    assert set(groups) == {"tiny", "small", "medium", "large"}
    assert groups["large"] == "0.000"  # 4b4t missed (called 1bxn), no 4d8q particle

    for name in ("f1", "confusion"):
        figure = client.get(f"/submissions/{submission_id}/figures/{name}.svg")
        assert figure.status_code == 200
        assert figure.headers["content-type"] == "image/svg+xml"
        assert f'/submissions/{submission_id}/figures/{name}.svg"' in report.text
        again = client.get(
            f"/submissions/{submission_id}/figures/{name}.svg",
            headers={"If-None-Match": figure.headers["etag"]},
        )
        assert again.status_code == 304  # unchanged result: nothing redrawn or resent
    no_scores = client.get(f"/submissions/{submission_id}/figures/precision-recall.svg")
    assert no_scores.status_code == 404
    assert "no data for the precision-recall figure" in no_scores.text
    assert "gave no confidence scores" in report.text
    assert f'href="/api/v1/submissions/{submission_id}/result.csv"' in report.text
    whole = client.get(
        f"/api/v1/submissions/{submission_id}/result.json",
        headers=new_user(service, Role.ORGANIZER),
    )
    assert whole.json()["localization"]["TP"] == 3

    board = client.get("/leaderboard?sort=submission_id&order=desc")
    assert board.status_code == 200
    rows = cell_texts(board.text, "leaderboard")
    mine = next(row for row in rows if row[1].startswith(method))
    # rank, method, then Table 1 (RR .. F1 with its interval), then the four size groups
    # the live board ranks by the public part: the participant's own public figures
    public = client.get(f"/api/v1/submissions/{submission_id}").json()["result"]["localization"]
    assert mine[2:8] == [str(public[key]) for key in ("RR", "TP", "FP", "FN", "MH", "RO")]
    assert mine[12].startswith(f"{public['f1']:.4f}")
    assert len(mine) == 2 + 11 + 4  # the 12 per-class columns are folded by default


def test_reports_are_private_to_owner_and_organizers(
    client: TestClient, stranger: TestClient, service: Settings
) -> None:
    owner = register_in_browser(client)
    submission_id = submit_and_wait(client, "private")
    for path in (f"/submissions/{submission_id}", f"/submissions/{submission_id}/figures/f1.svg"):
        refused = stranger.get(path)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/html")
        assert "Page not found" in refused.text
    assert stranger.get("/submissions/999999").status_code == 404
    assert stranger.get("/submissions/not-a-number").status_code == 422
    assert stranger.get("/submissions/99999999999999999999").status_code == 422  # no overflow

    stranger_name = re.search(r"Signed in as</span> <strong>([^<]+)<", stranger.get("/").text)
    assert stranger_name is not None
    with session_factory(service.sqlalchemy_url)() as db:
        user = db.query(User).filter_by(username=stranger_name.group(1)).one()
        user.role = Role.ORGANIZER
        db.commit()
    allowed = stranger.get(f"/submissions/{submission_id}")
    assert allowed.status_code == 200
    assert f"<dd>{owner}" in allowed.text


def test_pending_submissions_refresh_themselves(fresh_settings: Settings) -> None:
    install_dataset(fresh_settings)  # no worker runs: the submission stays queued
    with TestClient(create_app(fresh_settings)) as browser:
        register_in_browser(browser)
        assert upload_in_browser(browser, GOOD_SUBMISSION).status_code == 303
        listing = browser.get("/submissions").text
        assert re.search(r'<div id="submissions" data-poll="\d+"', listing)
        assert '<noscript><meta http-equiv="refresh"' in listing  # the same without scripts
        assert "status-queued" in listing or "status-received" in listing
        submission_id = re.search(r'id="submission-(\d+)"', listing)
        assert submission_id is not None
        report = browser.get(f"/submissions/{submission_id.group(1)}").text
        assert re.search(r'<dd id="status" data-poll="\d+"', report)
        assert "The report appears here as soon as the submission is scored" in report
        assert 'id="localization"' not in report

"""The dataset and administration pages driven as a browser would (forms, CSRF, flashes), on
both backends; generation runs in this process."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app.core.config import Settings
from app.models import Role
from tests.app.datasets_support import HIDDEN_FILES, browser_login, generate_small, load_version
from tests.app.pages_support import cell_texts, csrf_from
from tests.app.support import install_dataset, new_user, upload


def _post(client: TestClient, path: str, **fields: str) -> str:
    """Post a form of /admin/datasets or /admin/submissions; the page it redirects to."""
    form_page = "/admin/submissions" if "/submissions" in path else "/admin/datasets"
    data = {"csrf_token": csrf_from(client, form_page), **fields}
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def test_admin_regenerates_from_the_form_and_cancels(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    page = _post(fresh_client, "/admin/datasets", size="32", particles="3", seed="4", ctf="on")
    assert "Dataset version v1 is queued." in page
    assert 'data-poll="2"' in page  # the list refreshes itself while a version is pending
    version = load_version(fresh_settings, 1)
    assert (version.status, version.seed, version.parameters["size"]) == ("queued", 4, 32)
    assert version.parameters["ctf"] is True
    assert version.parameters["phase_flip"] is False  # an unticked box means off
    assert version.triggered_by is not None

    page = _post(fresh_client, "/admin/datasets/1/cancel")
    assert "v1 was cancelled." in page
    assert f"cancelled by {version.triggered_by.username}" in page
    page = _post(fresh_client, "/admin/datasets/1/cancel")
    assert "dataset version 1 is failed; nothing to cancel" in page


def test_a_refused_request_is_explained_on_the_kept_form(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    data = {"csrf_token": csrf_from(fresh_client, "/admin/datasets"), "size": "big", "slab": "8"}
    page = fresh_client.post("/admin/datasets", data=data)
    assert page.status_code == 422
    assert "size: Input should be a valid integer" in page.text
    assert 'name="size" value="big"' in page.text
    assert 'name="slab" value="8"' in page.text
    data = {"csrf_token": csrf_from(fresh_client, "/admin/datasets"), "size": "20", "slab": "30"}
    page = fresh_client.post("/admin/datasets", data=data)
    assert "parameters: slab (30 slices) is larger than the volume (20 slices in z)" in page.text
    assert load_version_count(fresh_client) == 0


def load_version_count(client: TestClient) -> int:
    count: int = client.get("/api/v1/datasets").json()["count"]
    return count


def test_activate_and_rescore_from_the_page(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    first = install_dataset(fresh_settings)
    participant = new_user(fresh_settings)
    upload(fresh_client, participant)  # waits in the broker: no worker here
    second = generate_small(fresh_settings)
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    page = fresh_client.get("/admin/datasets").text
    assert "Activate v2" in page
    assert "Activate test-v1" not in page  # the active one has no button
    page = _post(fresh_client, f"/admin/datasets/{second}/activate")
    assert "v2 is now the active dataset version." in page
    assert load_version(fresh_settings, second).is_active
    assert not load_version(fresh_settings, first).is_active
    # the first version's submission is still waiting, so nothing is re-queued yet
    page = _post(fresh_client, f"/admin/datasets/{first}/rescore")
    assert "0 submissions of test-v1 are queued for scoring again." in page


def test_organizer_hides_and_shows_a_submission(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    install_dataset(fresh_settings)
    submission = upload(fresh_client, new_user(fresh_settings), method="Hidden picker").json()
    browser_login(fresh_client, fresh_settings, Role.ORGANIZER)
    listing = fresh_client.get("/admin/submissions").text
    assert "Hidden picker" in listing
    page = _post(fresh_client, f"/admin/submissions/{submission['id']}/hide", reason="  ")
    assert f"Submission {submission['id']}: reason: required when hiding a submission" in page
    page = _post(fresh_client, f"/admin/submissions/{submission['id']}/hide", reason="duplicate")
    assert f"Submission {submission['id']} is hidden from the leaderboard." in page
    assert "hidden: duplicate" in page
    page = _post(fresh_client, f"/admin/submissions/{submission['id']}/unhide")
    assert f"Submission {submission['id']} is back on the leaderboard." in page


def test_admin_changes_a_role(fresh_client: TestClient, fresh_settings: Settings) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    participant = browser_login(TestClient(fresh_client.app), fresh_settings, Role.PARTICIPANT)
    page = fresh_client.get("/admin/users").text
    match = re.search(
        rf'<tr id="user-(\d+)">\s*<td>\d+</td>\s*<td class="text">{participant}<', page
    )
    assert match is not None
    data = {"csrf_token": csrf_from(fresh_client, "/admin/users"), "role": "organizer"}
    response = fresh_client.post(f"/admin/users/{match.group(1)}/role", data=data)
    assert f"{participant} is now organizer." in response.text
    data["role"] = "root"
    refused = fresh_client.post(f"/admin/users/{match.group(1)}/role", data=data)
    assert refused.status_code == 422


def test_dataset_pages_list_downloads_without_the_hidden_ground_truth(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    version_id = generate_small(fresh_settings, activate=True)
    overview = fresh_client.get("/datasets").text
    assert f'href="/datasets/{version_id}"' in overview
    assert "active" in overview
    page = fresh_client.get(f"/datasets/{version_id}").text
    training = cell_texts(page, "files-model_0")
    test = cell_texts(page, "files-model_1")
    listing = fresh_client.get(f"/api/v1/datasets/{version_id}/files").json()["data"]
    assert [row[0] for row in training] == [
        e["name"] for e in listing if e["tomogram"] == "model_0"
    ]
    assert [row[2] for row in training] == [
        e["sha256"] for e in listing if e["tomogram"] == "model_0"
    ]
    assert [row[0] for row in test] == [
        "metadata.json",
        "projections.mrc",
        "reconstruction.mrc",
        "tilt_angles.txt",
    ]
    for hidden in HIDDEN_FILES:
        assert f"model_1/{hidden}" not in page
    assert f'href="/api/v1/datasets/{version_id}/archives/model_0.tar"' in page
    assert f'href="/leaderboard?dataset={version_id}"' in page


def test_pending_versions_show_their_progress_and_failed_ones_stay_off_the_public_list(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    admin = new_user(fresh_settings, Role.ADMIN)
    queued = fresh_client.post(
        "/api/v1/admin/datasets", headers=admin, json={"size": 32, "name": "coming"}
    ).json()["id"]
    page = fresh_client.get(f"/datasets/{queued}").text
    assert 'data-poll="2"' in page
    assert "queued" in page
    assert "Training tomograms" not in page
    fresh_client.post(f"/api/v1/admin/datasets/{queued}/cancel", headers=admin)
    assert "coming" not in fresh_client.get("/datasets").text
    assert "data-reload" in fresh_client.get(f"/datasets/{queued}").text

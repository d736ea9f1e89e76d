"""The whole lifecycle against a real worker process, on both backends (contract tests)."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.models import Role
from tests.app.support import GOOD_EXPECTED, new_user, upload, wait_for_status


def test_upload_is_scored_with_the_hand_computed_result(
    client: TestClient, service: Settings
) -> None:
    headers = new_user(service)
    team = f"lab {uuid.uuid4().hex[:8]}"
    assert client.post("/api/v1/teams", headers=headers, json={"name": team}).status_code == 201
    response = upload(client, headers, description="spheres at known places", team=team)
    assert response.status_code == 201
    created = response.json()
    assert created["status"] in ("received", "queued", "running", "scored")
    submission = wait_for_status(client, headers, created["id"])
    assert submission["status"] == "scored", submission["error"]
    assert submission["error"] is None
    assert submission["team"] == team
    assert submission["predictions"] == 4
    assert submission["attempts"] == 1
    # the whole hidden test's figures, computed by hand, are what organizers see
    organizer = new_user(service, Role.ORGANIZER)
    whole = client.get(f"/api/v1/submissions/{created['id']}", headers=organizer).json()
    result = whole["result"]
    localization = result["localization"]
    assert {key: localization[key] for key in GOOD_EXPECTED} == GOOD_EXPECTED
    assert localization["AD"] == pytest.approx(2 / 3)
    assert localization["f1"] == pytest.approx(0.75)
    assert result["classification"]["1bxn"]["f1"] == pytest.approx(2 / 3)
    assert result["classification"]["4b4t"]["f1"] == 0.0
    assert result["size_groups"] == pytest.approx(
        {"tiny": 1.0, "small": 0.0, "medium": 2 / 3, "large": 0.0}
    )
    # the participant sees the public part, rounded; the two parts add up to the whole
    public, private = submission["result"], whole["result_private"]
    assert (public["split"], private["split"]) == ("public", "private")
    assert "result_private" not in submission
    for key, value in GOOD_EXPECTED.items():
        assert public["localization"][key] + private["localization"][key] == value
    assert public["localization"]["f1"] == round(public["localization"]["f1"], 4)
    assert submission["evaluator_version"] == result["evaluator_version"]
    assert submission["ground_truth_checksum"] == result["ground_truth_checksum"]
    timestamps = [
        submission[key] for key in ("created_at", "queued_at", "started_at", "finished_at")
    ]
    assert None not in timestamps


def test_result_downloads_as_json_and_csv(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    submission_id = upload(client, headers).json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    as_json = client.get(f"/api/v1/submissions/{submission_id}/result.json", headers=headers)
    assert as_json.status_code == 200
    document = as_json.json()  # the participant's: the public part while the phase is open
    assert document["split"] == "public"
    as_csv = client.get(f"/api/v1/submissions/{submission_id}/result.csv", headers=headers)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = {row["metric"]: row["value"] for row in csv.DictReader(io.StringIO(as_csv.text))}
    assert rows["submission_id"] == str(submission_id)
    assert rows["localization.TP"] == str(document["localization"]["TP"])
    assert rows["localization.FP"] == str(document["localization"]["FP"])
    f1 = document["classification"]["1bxn"]["f1"]
    assert rows["classification.1bxn.f1"] == ("" if f1 is None else str(f1))
    assert rows["classification.1qvr.f1"] == ""


def test_listing_shows_only_my_submissions(client: TestClient, service: Settings) -> None:
    mine, theirs = new_user(service), new_user(service)
    first = upload(client, mine, method="a").json()["id"]
    second = upload(client, mine, method="b").json()["id"]
    other = upload(client, theirs).json()["id"]
    listed = client.get("/api/v1/submissions", headers=mine).json()
    assert listed["count"] == 2
    assert [row["id"] for row in listed["data"]] == [second, first]
    assert client.get(f"/api/v1/submissions/{other}", headers=mine).status_code == 404
    assert client.get(f"/api/v1/submissions/{other}/result.json", headers=mine).status_code == 404
    assert client.get(f"/api/v1/submissions/{other}/result.csv", headers=mine).status_code == 404
    assert client.get("/api/v1/submissions/999999", headers=mine).status_code == 404
    assert client.get(f"/api/v1/submissions/{first}").status_code == 401
    for submission_id in (first, second, other):
        wait_for_status(client, theirs if submission_id == other else mine, submission_id)

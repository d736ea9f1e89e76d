"""Uploads in the field's formats are converted and scored; misframed files are refused
with the diagnosis before they cost a quota slot (API, form, `tomobench submit`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from app.cli import main
from app.core.config import Settings
from tests.app.pages_support import register_in_browser, upload_in_browser
from tests.app.support import (
    GOOD_SUBMISSION,
    new_user,
    upload,
    wait_for_status,
    wait_until,
)

# GOOD_SUBMISSION (tests/app/support.py) in Å, as a Kaggle CZII CSV (10 Å voxels)
KAGGLE = b"""id,experiment,particle_type,x,y,z
0,TS_1,1bxn,100,100,100
1,TS_1,1s3x,310,200,120
2,TS_1,1bxn,200,300,210
3,TS_1,4d8q,20,20,20
"""
# the same picks in voxels, but in Å: every coordinate 10 times too large
MISFRAMED = b"1bxn 100 100 100\n1s3x 310 200 120\n1bxn 200 300 210\n4d8q 20 20 20\n"
# a pytom-match-pick table (pixels, LCCmax, no class column) of particles 1 and 3
PYTOM = b"""data_

loop_
_rlnCoordinateX #1
_rlnCoordinateY #2
_rlnCoordinateZ #3
_rlnLCCmax #4
_rlnDetectorPixelSize #5
10 10 10 0.9 10.0
20 30 20 0.8 10.0
"""


def quota_used(client: TestClient, headers: dict[str, str]) -> Any:
    return client.get("/api/v1/users/me/quota", headers=headers).json()["used"]


def scored_result(
    client: TestClient, headers: dict[str, str], content: bytes, filename: str, **fields: str
) -> dict[str, Any]:
    """Upload, wait until scored; the result document."""
    response = upload(client, headers, content, filename=filename, **fields)
    assert response.status_code == 201, response.text
    scored = wait_for_status(client, headers, response.json()["id"])
    assert scored["status"] == "scored", scored
    result: dict[str, Any] = scored["result"]
    return result


def test_kaggle_csv_in_angstrom_is_converted_and_scored(
    client: TestClient, service: Settings
) -> None:
    headers = new_user(service)
    result = scored_result(client, headers, KAGGLE, "submission.csv")
    native = scored_result(client, headers, GOOD_SUBMISSION, "picks.txt")
    assert result["submission"]["format"] == "kaggle"
    assert result["submission"]["conversion"] == ["coordinates in Å divided by the voxel size 10 Å"]
    # the same picks, the same scores (the hand-computed ones are test_lifecycle.py's)
    assert result["localization"] == native["localization"]
    assert result["classification"] == native["classification"]


def test_class_less_file_takes_the_class_field(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    refused = upload(client, headers, PYTOM, filename="picks.star")
    assert refused.status_code == 422
    assert "no class column" in refused.json()["detail"]
    result = scored_result(client, headers, PYTOM, "picks.star", **{"class": "1bxn"})
    native = scored_result(client, headers, b"1bxn 10 10 10\n1bxn 20 30 20\n", "picks.txt")
    assert result["submission"]["format"] == "relion4"
    assert result["localization"] == native["localization"]
    assert result["classification"] == native["classification"]


def test_misframed_upload_is_refused_with_the_diagnosis_and_no_quota(
    client: TestClient, service: Settings
) -> None:
    headers = new_user(service)
    response = upload(client, headers, MISFRAMED)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "looks like Å: coordinates are ~10× the volume (voxel size 10 Å)" in detail
    assert "allow_misframed" in detail
    assert client.get("/api/v1/submissions", headers=headers).json()["count"] == 0
    assert quota_used(client, headers) == 0
    forced = upload(client, headers, MISFRAMED, allow_misframed="true")
    assert forced.status_code == 201, forced.text
    assert quota_used(client, headers) == 1


def test_bad_reading_options_are_named(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    response = upload(client, headers, format="xml")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("format: unknown format 'xml'")
    response = upload(client, headers, pixel_size="-3")
    assert response.status_code == 422
    assert "pixel_size: must be a positive number of Å" in response.json()["detail"]
    assert quota_used(client, headers) == 0


def test_form_lists_the_formats_and_shows_the_diagnosis(client: TestClient) -> None:
    register_in_browser(client)
    form = client.get("/submit").text
    for label in ("copick picks (JSON)", "Kaggle CZII CSV", "RELION 5 STAR", "Dynamo table"):
        assert label in form
    refused = upload_in_browser(client, MISFRAMED, method="Angstrom picker")
    assert refused.status_code == 422
    assert "looks like Å" in refused.text
    assert 'id="quota">1000</strong>' in refused.text  # nothing used
    accepted = upload_in_browser(
        client, MISFRAMED, method="Angstrom picker", allow_misframed="true"
    )
    assert accepted.status_code == 303


def test_submit_command_passes_the_reading_options(
    client: TestClient, service: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tomobench submit --class ... --allow-misframed`, its HTTP calls answered in process."""
    headers = new_user(service)
    token = headers["Authorization"].split()[1]
    real_post = httpx.Client.post  # the test client's own, before it is replaced

    def post(self: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
        name, handle = kwargs["files"]["file"]
        answer = real_post(
            client, url, headers=headers, files={"file": (name, handle.read())}, data=kwargs["data"]
        )
        return httpx.Response(answer.status_code, json=answer.json())

    monkeypatch.setattr(httpx.Client, "post", post)
    pytom, misframed = tmp_path / "picks.star", tmp_path / "picks.txt"
    pytom.write_bytes(PYTOM)
    misframed.write_bytes(MISFRAMED)
    command = ["submit", "--url", "http://test", "--token", token]
    result = CliRunner().invoke(main, [*command[:1], str(pytom), *command[1:], "--class", "1bxn"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("submission ")
    refused = CliRunner().invoke(main, [command[0], str(misframed), *command[1:]])
    assert refused.exit_code == 1
    assert "422: file: the coordinates look misframed: looks like Å" in refused.output
    assert quota_used(client, headers) == 1
    forced = CliRunner().invoke(
        main, [command[0], str(misframed), *command[1:], "--allow-misframed"]
    )
    assert forced.exit_code == 0, forced.output
    assert quota_used(client, headers) == 2


def test_report_page_says_how_the_file_was_read(client: TestClient) -> None:
    register_in_browser(client)
    response = upload_in_browser(client, KAGGLE, method="Kaggle picker")
    assert response.status_code == 303, response.text
    listing = client.get("/submissions").text
    found = re.search(r"Submission (\d+) received: 4 predictions", listing)
    assert found is not None
    page_url = f"/submissions/{found.group(1)}"
    wait_until(lambda: "status-scored" in client.get(page_url).text, 60, "the report")
    report = client.get(page_url).text
    shown = re.search(r'<dd id="conversion">(.*?)</dd>', report, re.S)
    assert shown is not None
    assert shown.group(1) == "kaggle; coordinates in Å divided by the voxel size 10 Å"
    # it comes before the tables, where a reader starts
    assert report.index('id="conversion"') < report.index("<h2>Localization</h2>")

"""The regeneration form's preset and test-tomogram fields, on both backends: what the admin
picks is what the version records, a preset the simulator does not know is explained on the
kept form, and the version's page names its preset."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.core.config import Settings
from app.models import Role
from tests.app.datasets_support import browser_login, load_version
from tests.app.pages_support import csrf_from


def _regenerate(client: TestClient, **fields: str) -> tuple[int, str]:
    data = {"csrf_token": csrf_from(client, "/admin/datasets"), "ctf": "on", **fields}
    response = client.post("/admin/datasets", data=data, follow_redirects=True)
    return response.status_code, response.text


def test_the_form_offers_the_presets_and_records_the_chosen_one(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    form = fresh_client.get("/admin/datasets").text
    assert '<select name="preset">' in form
    for value in ("shrec19", "realistic"):
        assert f'<option value="{value}">' in form
    assert 'name="test_tomograms"' in form

    chosen = {"preset": "realistic", "size": "64", "particles": "5", "tomograms": "4"}
    status, page = _regenerate(fresh_client, **chosen, test_tomograms="2", seed="3")
    assert status == 200
    assert "Dataset version v1 is queued." in page
    parameters = load_version(fresh_settings, 1).parameters
    # the preset's values, the fields given on top of them
    assert parameters["preset"] == "realistic"
    assert (parameters["tilt_step"], parameters["dose_per_tilt"]) == (3.0, 3.0)
    assert parameters["fiducials"] == 20
    assert (parameters["size"], parameters["particles"]) == (64, 5)
    assert (parameters["tomograms"], parameters["test_tomograms"]) == (4, 2)
    assert "preset <code>realistic</code>" in fresh_client.get("/datasets/1").text

    # no preset: the legacy defaults, recorded without a preset
    _regenerate(fresh_client, size="32", particles="2", seed="5")
    assert "preset" not in load_version(fresh_settings, 2).parameters


def test_an_unknown_preset_is_explained_on_the_kept_form(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    status, page = _regenerate(fresh_client, preset="shrec99", size="32")
    assert status == 422
    assert "preset: Input should be" in page
    assert 'name="size" value="32"' in page
    status, page = _regenerate(fresh_client, size="32", tomograms="3", test_tomograms="3")
    assert status == 422
    assert "test_tomograms (3) must be below tomograms (3)" in page
    assert 'name="test_tomograms" value="3"' in page

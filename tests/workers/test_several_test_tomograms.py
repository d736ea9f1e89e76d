"""A dataset version whose hidden test holds two tomograms: registered with both, uploads
name their tomogram, the worker scores the whole test and each tomogram, and the public and
private parts are whole tomograms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import DatasetVersion, Submission
from app.queues.celery_app import create_celery_app
from app.queues.routing import SCORE_SUBMISSION
from app.services.datasets import complete_dataset_version, create_dataset_version
from app.services.scoring import load_hidden_test
from tests.app.support import PARTICLES, new_user, upload, write_tomogram

TESTS = ("model_1", "model_2")
# model_1 holds the four particles, model_2 the last two (4b4t, 3d2f)
PICKS = b"""class,x,y,z,tomogram
1bxn,10,10,10,model_1
1s3x,31,20,12,model_1
4d8q,2,2,2,model_1
4b4t,20,30,20,model_2
3d2f,5,5,5,model_2
"""


def _install(settings: Settings) -> int:
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        version = create_dataset_version(db, name="two-tests", parameters={}, seed=1)
        folder = settings.datasets_dir / version.path
        write_tomogram(folder / "model_0", PARTICLES[:2])
        write_tomogram(folder / "model_1", PARTICLES)
        write_tomogram(folder / "model_2", PARTICLES[2:])
        roles = {"model_0": "train", **dict.fromkeys(TESTS, "test")}
        tomograms = [
            {"name": name, "role": role, "files": _records(folder / name)}
            for name, role in roles.items()
        ]
        (folder / "dataset.json").write_text(json.dumps({"tomograms": tomograms}))
        complete_dataset_version(db, settings, version, activate=True)
        return version.id


def _records(folder: Path) -> dict[str, dict[str, object]]:
    return {
        path.name: {"bytes": path.stat().st_size, "sha256": sha256(path.read_bytes()).hexdigest()}
        for path in sorted(folder.iterdir())
    }


@pytest.fixture
def app_with_two_tests(fresh_settings: Settings) -> Iterator[TestClient]:
    _install(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        yield client


def _eager_score(settings: Settings, submission_id: int) -> None:
    celery = create_celery_app(settings)
    import workers.tasks.evaluation  # noqa: F401  (registers the shared tasks)

    celery.tasks[SCORE_SUBMISSION].apply(args=[submission_id])


def test_the_version_records_both_test_tomograms(
    app_with_two_tests: TestClient, fresh_settings: Settings
) -> None:
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        version = db.query(DatasetVersion).one()
        assert version.test_tomogram == "model_1"  # the first: the API's contract
        assert version.test_tomograms == list(TESTS)
        assert version.profile == "native"
        folder = fresh_settings.datasets_dir / version.path
        hidden = load_hidden_test({name: Path(folder / name) for name in TESTS}, "native")
        assert version.ground_truth_checksum == hidden.checksum


def test_an_upload_naming_its_tomograms_is_scored_over_both(
    app_with_two_tests: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    response = upload(app_with_two_tests, headers, PICKS, filename="picks.csv")
    assert response.status_code == 201, response.text
    submission_id = response.json()["id"]
    _eager_score(fresh_settings, submission_id)
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        assert submission.status == "scored", submission.error
        result = submission.current_result
        assert result is not None
        metrics, public, private = result.metrics, result.metrics_public, result.metrics_private
    assert public is not None
    assert private is not None
    whole = metrics["localization"]
    assert [whole[k] for k in ("RR", "TP", "FP", "FN", "N")] == [5, 3, 2, 3, 6]
    own = {name: metrics["per_tomogram"][name]["localization"] for name in TESTS}
    assert [own["model_1"][k] for k in ("RR", "TP", "FP", "FN")] == [3, 2, 1, 2]
    assert [own["model_2"][k] for k in ("RR", "TP", "FP", "FN")] == [2, 1, 1, 1]
    # each part is one whole tomogram
    parts = {public["localization"]["RR"], private["localization"]["RR"]}
    assert parts == {3, 2}
    for document in (public, private):
        name = "model_1" if document["localization"]["RR"] == 3 else "model_2"
        assert document["localization"]["TP"] == own[name]["TP"]
        assert document["localization"]["N"] == own[name]["N"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PICKS.replace(b"3d2f,5,5,5,model_2", b"3d2f,5,5,5,model_9"), "line 6: unknown tomogram"),
        (b"1bxn 10 10 10\n", "name the tomogram of each prediction"),
    ],
)
def test_uploads_are_checked_against_the_test_tomograms(
    app_with_two_tests: TestClient, fresh_settings: Settings, content: bytes, message: str
) -> None:
    response = upload(app_with_two_tests, new_user(fresh_settings), content, filename="p.csv")
    assert response.status_code == 422
    assert message in response.text


def test_the_api_and_the_page_show_every_test_tomogram_and_the_profile(
    app_with_two_tests: TestClient, fresh_settings: Settings
) -> None:
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        version_id = db.query(DatasetVersion).one().id
    shown = app_with_two_tests.get(f"/api/v1/datasets/{version_id}").json()
    assert shown["test_tomogram"] == "model_1"
    assert shown["test_tomograms"] == list(TESTS)
    assert shown["profile"] == "native"
    page = app_with_two_tests.get(f"/datasets/{version_id}").text
    assert "model_1, model_2 (ground truth hidden)" in page
    assert '<dd id="scoring-profile"><code>native</code></dd>' in page
    files = app_with_two_tests.get(f"/api/v1/datasets/{version_id}/files").json()
    roles = {entry["tomogram"]: entry["role"] for entry in files["data"]}
    assert roles == {"model_0": "train", "model_1": "test", "model_2": "test"}
    hidden = {"particle_locations.txt", "occupancy_mask.mrc"}
    served = {(e["tomogram"], e["name"]) for e in files["data"] if e["role"] == "test"}
    assert served
    assert not {name for _, name in served} & hidden  # no test's ground truth


def test_the_report_shows_each_test_tomograms_table_to_organizers(
    app_with_two_tests: TestClient, fresh_settings: Settings
) -> None:
    from app.models import Role
    from tests.app.datasets_support import browser_login

    response = upload(app_with_two_tests, new_user(fresh_settings), PICKS, filename="p.csv")
    submission_id = response.json()["id"]
    _eager_score(fresh_settings, submission_id)
    browser_login(app_with_two_tests, fresh_settings, Role.ORGANIZER)
    page = app_with_two_tests.get(f"/submissions/{submission_id}").text
    assert 'id="per-tomogram"' in page
    table = page.split('id="per-tomogram"', 1)[1].split("</table>", 1)[0]
    # model_1: 3 predictions, RR 3 TP 2 FP 1 FN 2; model_2: 2 predictions, RR 2 TP 1 FP 1 FN 1
    assert '<th scope="row">model_1</th><td>3</td><td>3</td><td>2</td><td>1</td><td>2</td>' in table
    assert '<th scope="row">model_2</th><td>2</td><td>2</td><td>1</td><td>1</td><td>1</td>' in table


def test_a_simulated_version_with_two_test_tomograms_scores_its_own_ground_truth(
    fresh_settings: Settings,
) -> None:
    from app.services.scoring import hidden_test_for
    from evaluation import parse_submission
    from evaluation.scoring import score_tomograms
    from tests.app.datasets_support import folder_of, generate_small, load_version

    version_id = generate_small(fresh_settings, tomograms=3, test_tomograms=2)
    version = load_version(fresh_settings, version_id)
    assert version.status == "ready", version.error
    assert version.test_tomograms == ["model_1", "model_2"]
    assert version.test_tomogram == "model_1"
    hidden = hidden_test_for(fresh_settings, version)
    rows = ["class,x,y,z,tomogram"]
    folder = folder_of(fresh_settings, version_id)
    for name in version.test_tomograms:
        for line in (folder / name / "particle_locations.txt").read_text().splitlines():
            label, x, y, z = line.split()[:4]
            rows.append(f"{label},{x},{y},{z},{name}")
    picks = parse_submission("\n".join(rows) + "\n", tomograms=hidden.names)
    document = score_tomograms(hidden, picks, bootstrap=0).to_dict()
    assert document["localization"]["recall"] == 1.0
    assert document["localization"]["N"] == sum(
        own["localization"]["N"] for own in document["per_tomogram"].values()
    )

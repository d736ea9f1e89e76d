"""Playing the attacker against the hidden test with only what a participant sees: the public
dataset record, the downloads, the installed package, the session cookie, their own results.

Each test fails while its attack works: rebuilding the hidden ground truth from the public
seed and settings, signing an admin's session cookie with a published key, and reading the
hidden test hit by hit from one's own result's precision–recall curves.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import itsdangerous
import numpy as np
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from app.core.config import PUBLIC_SECRET_KEYS, Settings
from app.core.secret_key import KEY_FILE
from app.main import create_app
from app.models import Role
from app.services.hidden_test import hidden_test_seed
from simulation import SimulationParameters, simulate_tomogram
from tests.app.datasets_support import browser_login, folder_of, generate_small, load_version
from tests.app.pages_support import PASSWORD
from tests.app.support import GOOD_SUBMISSION, new_user, upload, wait_for_status

TRAIN, TEST = "model_0", "model_1"
# sparse enough that two centres agreeing by chance is out of the question (p < 1e-4)
ATTACKED = {"size": 96, "slab": 48, "particles": 12}


@pytest.fixture
def published(fresh_settings: Settings) -> Iterator[tuple[Settings, TestClient, int]]:
    """A simulated, active version and a participant's client on it."""
    version_id = generate_small(fresh_settings, seed=11, activate=True, **ATTACKED)
    with TestClient(create_app(fresh_settings)) as client:
        client.headers.update(new_user(fresh_settings))
        yield fresh_settings, client, version_id


def _download(client: TestClient, version_id: int, tomogram: str, name: str) -> bytes:
    response = client.get(f"/api/v1/datasets/{version_id}/files/{tomogram}/{name}")
    assert response.status_code == 200, response.text
    return response.content


def _rebuild(client: TestClient, version_id: int, tomogram: str, out: Path) -> Path:
    """Simulate `tomogram` from nothing but its public record, as an attacker would."""
    record = client.get(f"/api/v1/datasets/{version_id}").json()
    metadata = json.loads(_download(client, version_id, tomogram, "metadata.json"))
    parameters = SimulationParameters.from_dict({**record["parameters"], "seed": record["seed"]})
    simulate_tomogram(out, parameters, index=metadata["index"])
    return out


def test_public_record_rebuilds_training_but_not_the_hidden_test(
    published: tuple[Settings, TestClient, int], tmp_path: Path
) -> None:
    settings, client, version_id = published
    served = folder_of(settings, version_id)
    # the attacker's procedure is right: a training tomogram comes back byte for byte
    train = _rebuild(client, version_id, TRAIN, tmp_path / TRAIN)
    for name in ("reconstruction.mrc", "particle_locations.txt", "occupancy_mask.mrc"):
        assert (train / name).read_bytes() == (served / TRAIN / name).read_bytes(), name
    # ... and the same procedure misses the hidden test entirely
    test = _rebuild(client, version_id, TEST, tmp_path / TEST)
    assert (test / "reconstruction.mrc").read_bytes() != _download(
        client, version_id, TEST, "reconstruction.mrc"
    )
    hidden = _centres(served / TEST / "particle_locations.txt")
    rebuilt = _centres(test / "particle_locations.txt")
    distances = np.linalg.norm(rebuilt[:, None, :] - hidden[None, :, :], axis=2)
    assert (distances.min(axis=1) <= 2).sum() <= 1, "the rebuilt centres match the hidden ones"


def _centres(particle_locations: Path) -> np.ndarray:
    """The (x, y, z) of each line `CLASS X Y Z ...` of a particle list."""
    rows = [line.split()[1:4] for line in particle_locations.read_text().splitlines()]
    return np.array(rows, dtype=float)


def test_no_public_answer_carries_the_secret(
    published: tuple[Settings, TestClient, int], caplog: pytest.LogCaptureFixture
) -> None:
    settings, client, version_id = published
    version = load_version(settings, version_id)
    secrets_ = (version.test_secret, str(hidden_test_seed(version)))
    answers = [
        client.get(path)
        for path in (
            "/api/v1/datasets",
            f"/api/v1/datasets/{version_id}",
            f"/api/v1/datasets/{version_id}/files",
            "/api/v1/leaderboard",
            "/api/v1/openapi.json",
            "/datasets",
            f"/datasets/{version_id}",
            "/leaderboard",
        )
    ]
    answers.append(client.get(f"/api/v1/datasets/{version_id}/files/{TEST}/metadata.json"))
    assert all(answer.status_code == 200 for answer in answers), [a.url for a in answers]
    for answer in answers:
        for secret in secrets_:
            assert secret not in answer.text, answer.url
    assert json.loads(answers[-1].text)["seed"] is None  # the test's metadata names no seed
    for secret in secrets_:
        assert secret not in caplog.text


def test_organizers_rebuild_the_whole_version_byte_for_byte(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    from app.cli.datasets import datasets

    version_id = generate_small(fresh_settings, seed=3)
    env = {key: str(value) for key, value in _env(fresh_settings).items()}
    out = tmp_path / "rebuilt"
    result = CliRunner().invoke(datasets, ["rebuild", str(version_id), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "files identical" in result.output
    hidden = folder_of(fresh_settings, version_id) / TEST / "particle_locations.txt"
    assert (out / TEST / "particle_locations.txt").read_bytes() == hidden.read_bytes()


def _env(settings: Settings) -> dict[str, Any]:
    from app.core.config import settings_env

    return settings_env(settings)


def _forged_cookie(key: str, session: dict[str, Any]) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, made with `key`."""
    data = base64.b64encode(json.dumps(session).encode())
    return itsdangerous.TimestampSigner(key).sign(data).decode()


@pytest.mark.parametrize("key", sorted(PUBLIC_SECRET_KEYS))
def test_a_cookie_signed_with_the_published_key_is_nobody(
    fresh_settings: Settings, key: str
) -> None:
    with TestClient(create_app(fresh_settings)) as client:
        client.cookies.set("tomobench_session", _forged_cookie(key, {"user_id": 1}))
        assert client.get("/api/v1/users/me").status_code == 401
        assert client.get("/admin/users", follow_redirects=False).status_code in (303, 401, 403)
    key_file = fresh_settings.resolved_data_dir / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert key_file.read_text().strip() not in PUBLIC_SECRET_KEYS


def test_the_published_key_is_refused_and_public_binding_needs_a_key(tmp_path: Path) -> None:
    from app.cli.serve import serve

    refused = CliRunner().invoke(
        serve,
        ["--data-dir", str(tmp_path)],
        env={"TOMOBENCH_SECRET_KEY": next(iter(PUBLIC_SECRET_KEYS))},
    )
    assert refused.exit_code == 1
    assert "published development key" in refused.output
    public = CliRunner().invoke(
        serve, ["--data-dir", str(tmp_path), "--host", "0.0.0.0"], env={"TOMOBENCH_ENV": "dev"}
    )
    assert public.exit_code == 1
    assert "set TOMOBENCH_SECRET_KEY" in public.output
    assert "Traceback" not in public.output + refused.output


# distinct scores: with curves, each threshold step would say whether that pick hit
RANKED = b"""1bxn 10 10 10 0.9
1s3x 31 20 12 0.8
1bxn 20 30 21 0.7
4d8q 2 2 2 0.6
"""


def _floats(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _floats(item)
    elif isinstance(value, list):
        for item in value:
            yield from _floats(item)


def test_a_participant_cannot_read_hits_off_the_curves(
    client: TestClient, service: Settings
) -> None:
    username = browser_login(client, service, Role.PARTICIPANT)
    token = client.post("/api/v1/tokens", auth=(username, PASSWORD)).json()["token"]
    participant = {"Authorization": f"Bearer {token}"}
    submission_id = upload(client, participant, content=RANKED).json()["id"]
    assert wait_for_status(client, participant, submission_id)["status"] == "scored"
    seen = client.get(f"/api/v1/submissions/{submission_id}/result.json", headers=participant)
    ranking = seen.json()["ranking"]
    for curve in ("localization", "classification"):
        assert not {"thresholds", "precision", "recall"} & set(ranking[curve]), ranking[curve]
        assert ranking[curve]["average_precision"] is not None  # the summary stays
    assert all(round(value, 4) == value for value in _floats(seen.json()))
    assert "4 decimals" in seen.json()["disclosure"]["note"]
    detail = client.get(f"/api/v1/submissions/{submission_id}", headers=participant).json()
    assert "thresholds" not in detail["result"]["ranking"]["localization"]
    as_csv = client.get(f"/api/v1/submissions/{submission_id}/result.csv", headers=participant)
    assert "ranking.localization.thresholds" not in as_csv.text
    assert "ranking.localization.recall" not in as_csv.text
    # the report page, through the participant's browser session
    report = client.get(f"/submissions/{submission_id}")
    assert report.status_code == 200
    assert "precision-recall.svg" not in report.text
    figure = client.get(f"/submissions/{submission_id}/figures/precision-recall.svg")
    assert figure.status_code == 404
    # organizers see the curves: the redaction is of the view, not of the record
    organizer = new_user(service, Role.ORGANIZER)
    full = client.get(f"/api/v1/submissions/{submission_id}/result.json", headers=organizer)
    assert len(full.json()["ranking"]["localization"]["thresholds"]) == 4


def test_leaderboard_figures_are_rounded(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    submission_id = upload(client, headers, content=GOOD_SUBMISSION).json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    rows = client.get("/api/v1/leaderboard").json()["rows"]
    mine = next(row for row in rows if row["submission_id"] == submission_id)
    # the board shows the public part's figures (its partition comes from the secret)
    public = client.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert public["result"]["split"] == "public"
    assert mine["AD"] == public["result"]["localization"]["AD"]
    assert all(round(value, 4) == value for row in rows for value in _floats(row))


def test_versions_made_before_the_secret_are_flagged_compromised(
    fresh_settings: Settings,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from app.db import get_engine
    from app.migrate import alembic_config

    url = fresh_settings.sqlalchemy_url
    command.downgrade(alembic_config(url), "0003")
    with get_engine(url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO dataset_versions (name, parameters, seed, simulator_version, files,"
                " test_tomogram, path, status, progress, stage, is_active, created_at)"
                " VALUES ('old', '{}', 5, '', '{}', 'model_1', 'v1', 'ready', 1, '', true,"
                " CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(alembic_config(url), "head")
    old = load_version(fresh_settings, 1)
    assert old.compromised is not None
    assert "public seed" in old.compromised
    assert len(old.test_secret) == 64
    with TestClient(create_app(fresh_settings)) as client:
        board = client.get("/api/v1/leaderboard").json()
        assert "public seed" in board["dataset_version"]["compromised"]
        assert 'id="compromised"' in client.get("/leaderboard").text
        assert "compromised" in client.get("/datasets").text

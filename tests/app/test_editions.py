"""A fresh edition in one action: a new version with the same simulator settings and public
seed (the same training data) and a new secret (a new hidden test), activated when ready,
with the edition phase on it, which takes uploads from then on."""

from __future__ import annotations

import datetime as dt

from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Role
from app.queues.celery_app import create_celery_app
from app.services.closing import close_due_phases
from app.services.datasets import generate_dataset
from tests.app.datasets_support import generate_small, load_version
from tests.app.support import new_user, upload
from workers.tasks.evaluation import score_submission

# a simulated tomogram's picks need not hit anything (nor look well framed): the upload only
# has to be accepted
PICKS = b"1bxn 10 10 10\n"


def test_an_edition_opens_on_a_fresh_version_in_one_action(fresh_settings: Settings) -> None:
    # the edition simulates a fresh version with these settings and a new secret: in a
    # 32-slice slab about 1 draw in 400 left a large particle no room (none in 1,500 at 48)
    first = generate_small(fresh_settings, seed=11, activate=True, particles=2, size=64, slab=48)
    closes_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    with TestClient(create_app(fresh_settings)) as client:
        admin = new_user(fresh_settings, Role.ADMIN)
        participant = new_user(fresh_settings)
        body = {"name": "SHREC 2027", "closes_at": closes_at.isoformat(), "ladder": True}
        refused = client.post("/api/v1/admin/editions", headers=participant, json=body)
        assert refused.status_code == 403
        past = {**body, "closes_at": "2020-01-01T00:00:00Z"}
        reserved = {**body, "dataset_name": "v3"}
        named = client.post("/api/v1/admin/editions", headers=admin, json=reserved)
        assert named.status_code == 422
        assert named.json()["detail"].startswith("dataset_name: ")
        late = client.post("/api/v1/admin/editions", headers=admin, json=past)
        assert late.status_code == 422
        assert late.json()["detail"].startswith("closes_at: ")
        answer = client.post("/api/v1/admin/editions", headers=admin, json=body)
        assert answer.status_code == 202, answer.text
        phase, version = answer.json()["phase"], answer.json()["dataset_version"]
        assert (phase["kind"], phase["ladder"]) == ("edition", "bootstrap")
        assert version["status"] == "queued"
        assert phase["state"] == "upcoming"  # until its version is simulated and released
        # not ready yet: the edition takes nothing, the current phase still does
        early = upload(client, participant, PICKS, allow_misframed="true", phase=str(phase["id"]))
        assert early.status_code == 409
        assert f"opens when dataset version {version['name']} is ready" in early.json()["detail"]
        during = upload(client, participant, PICKS, allow_misframed="true")
        assert during.status_code == 201, during.text

        # the simulation worker's job, run here
        generate_dataset(
            session_factory(fresh_settings.sqlalchemy_url),
            fresh_settings,
            version["id"],
            activate=True,
        )
        old, new = load_version(fresh_settings, first), load_version(fresh_settings, version["id"])
        assert new.is_active
        assert not old.is_active
        assert (new.parameters, new.seed) == (old.parameters, old.seed)
        assert new.test_secret != old.test_secret
        assert new.ground_truth_checksum != old.ground_truth_checksum
        train = sorted(name for name, entry in old.files.items() if entry["role"] == "train")
        for name in train:  # the same training data, byte for byte
            assert new.files[name] == old.files[name]

        # the edition is now the default phase; the previous version's phase takes nothing
        phases = client.get("/api/v1/phases", params={"dataset": version["id"]}).json()
        assert [(p["name"], p["state"]) for p in phases["data"]] == [("SHREC 2027", "open")]
        accepted = upload(client, participant, PICKS, allow_misframed="true")
        assert accepted.status_code == 201, accepted.text
        mine = client.get(f"/api/v1/submissions/{accepted.json()['id']}", headers=participant)
        assert mine.json()["phase_id"] == phase["id"]
        # the previous version's development phase closed with the activation: no more
        # uploads; its board is frozen (private ranking revealed) once the upload made before
        # the close is scored, so that it counts
        old_phase = client.get("/api/v1/phases", params={"dataset": first}).json()["data"][0]
        assert (old_phase["kind"], old_phase["state"]) == ("continuous", "closed")
        assert (old_phase["private_revealed"], old_phase["snapshot_sha256"]) == (False, None)
        closed = upload(
            client, participant, PICKS, allow_misframed="true", phase=str(old_phase["id"])
        )
        assert closed.status_code == 409
        assert "closed at" in closed.json()["detail"]
        celery = create_celery_app(fresh_settings)
        celery.tasks[score_submission.name].apply(args=[during.json()["id"]])
        assert close_due_phases(session_factory(fresh_settings.sqlalchemy_url)) == [old_phase["id"]]
        old_phase = client.get(f"/api/v1/phases/{old_phase['id']}").json()
        assert old_phase["private_revealed"]
        assert old_phase["snapshot_sha256"] is not None

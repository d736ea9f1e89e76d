"""A submission uploaded before an edition closes counts, even when it is still being scored
at the close: the phase is closing (no uploads, private split hidden) until a real worker has
scored it, then the beat job freezes the snapshot with it."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Phase, PhaseSnapshot, Role
from app.services.closing import close_due_phases, snapshot_intact
from tests.app.support import (
    GOOD_SUBMISSION,
    install_dataset,
    new_user,
    running_worker,
    upload,
    wait_for_status,
)
from tests.app.test_phases import create_phase


def test_submission_scored_after_the_close_is_in_the_snapshot(fresh_settings: Settings) -> None:
    version_id = install_dataset(fresh_settings)
    factory = session_factory(fresh_settings.sqlalchemy_url)
    with TestClient(create_app(fresh_settings)) as client:
        admin = new_user(fresh_settings, Role.ADMIN)
        participant = new_user(fresh_settings)
        phase = create_phase(client, admin, version_id)
        # no worker yet: the upload waits in the queue when the edition closes
        late = upload(client, participant, GOOD_SUBMISSION, method="late", phase=str(phase["id"]))
        assert late.status_code == 201, late.text
        submission_id = late.json()["id"]
        closing = client.post(f"/api/v1/admin/phases/{phase['id']}/close", headers=admin)
        assert closing.status_code == 200, closing.text
        body = closing.json()
        assert (body["state"], body["closed_at"], body["snapshot_sha256"]) == ("closed", None, None)
        assert body["private_revealed"] is False
        refused = upload(client, participant, GOOD_SUBMISSION, phase=str(phase["id"]))
        assert refused.status_code == 409, refused.text  # the window ended with the close
        hidden = client.get(
            "/api/v1/leaderboard",
            params={"phase": phase["id"], "split": "private"},
            headers=participant,
        )
        assert hidden.status_code == 403  # the private ranking waits for the snapshot
        assert close_due_phases(factory) == []  # still being scored: nothing frozen
        report = client.get(f"/api/v1/phases/{phase['id']}/report.tex")
        assert report.status_code == 409

        with running_worker(fresh_settings):
            assert wait_for_status(client, participant, submission_id)["status"] == "scored"
        assert close_due_phases(factory) == [phase["id"]]
        again = client.post(f"/api/v1/admin/phases/{phase['id']}/close", headers=admin)
        assert again.status_code == 409

        closed = client.get(f"/api/v1/phases/{phase['id']}").json()
        assert closed["private_revealed"] is True
        assert closed["snapshot_sha256"] is not None
        board = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
        assert board["split"] == "private"
        assert [row["submission_id"] for row in board["rows"]] == [submission_id]
    with factory() as db:
        snapshot = db.scalars(
            select(PhaseSnapshot).where(PhaseSnapshot.phase_id == phase["id"])
        ).one()
        assert snapshot_intact(snapshot)
        assert str(submission_id) in snapshot.document["results"]
        stored = db.get(Phase, phase["id"])
        assert stored is not None
        assert stored.closed_at == stored.closes_at  # frozen as of the close, not later
        assert stored.closed_by_id is not None

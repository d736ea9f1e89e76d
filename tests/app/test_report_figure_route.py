"""The report figure route draws a figure once per view of a result: a second request
(no browser cache) is read from the file under the data folder, the plotting code not run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.models import Role
from app.queues.celery_app import create_celery_app
from app.services import report_figures
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, upload
from workers.tasks.evaluation import score_submission


def test_second_request_does_not_draw(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[int] = []
    original: Callable[..., str] = report_figures.f1_bars_svg

    def counting(*args: Any, **kwargs: Any) -> str:
        drawn.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(report_figures, "f1_bars_svg", counting)
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        owner = new_user(fresh_settings)
        submission_id = upload(client, owner, GOOD_SUBMISSION, method="m").json()["id"]
        celery = create_celery_app(fresh_settings)
        celery.tasks[score_submission.name].apply(args=[submission_id])
        path = f"/submissions/{submission_id}/figures/f1.svg"
        organizer = new_user(fresh_settings, Role.ORGANIZER)
        first = client.get(path, headers=organizer)
        second = client.get(path, headers=organizer)
        assert first.status_code == second.status_code == 200
        assert first.text == second.text
        assert len(drawn) == 1
        # the participant sees another view of the result (its public part): drawn once too
        mine = [client.get(path, headers=owner) for _ in range(2)]
        assert mine[0].status_code == 200
        assert mine[0].text == mine[1].text != first.text
        assert len(drawn) == 2
    stored = list((fresh_settings.resolved_data_dir / "figures").glob("result-*/f1-*.svg"))
    assert len(stored) == 2

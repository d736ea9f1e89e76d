"""A simulation job SIGKILLed mid-way: the dataset version is marked failed, its partial
files are removed, and the active version (row and files) is untouched."""

from __future__ import annotations

import hashlib
from contextlib import ExitStack
from pathlib import Path

import pytest

from app.db import session_factory
from app.models import DatasetStatus, DatasetVersion
from app.queues.celery_app import create_celery_app
from app.queues.routing import GENERATE_DATASET
from app.services.datasets import active_dataset, create_dataset_version
from tests.app.support import install_dataset, running_worker, wait_until
from tests.conftest import backend_settings
from tests.reliability.servers import kill_hard, pool_children

# small tomograms, enough of them that the job runs for several seconds
PARAMETERS = {"size": 96, "slab": 48, "particles": 20, "tomograms": 12}


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow
def test_killed_simulation_is_failed_and_cleaned_up(tmp_path: Path) -> None:
    with ExitStack() as stack:
        settings = backend_settings(stack, "production", tmp_path / "data")
        active_id = install_dataset(settings)
        active_files = _checksums(settings.datasets_dir / f"v{active_id}")
        factory = session_factory(settings.sqlalchemy_url)
        with factory() as db:
            doomed = create_dataset_version(db, name="doomed", parameters=PARAMETERS, seed=3)
        folder = settings.datasets_dir / doomed.path
        worker = stack.enter_context(running_worker(settings, "simulation"))
        create_celery_app(settings).send_task(GENERATE_DATASET, args=[doomed.id])

        def version() -> DatasetVersion:
            with factory() as db:
                row = db.get(DatasetVersion, doomed.id)
                assert row is not None
                return row

        def midway() -> bool:
            row = version()
            assert row.status != DatasetStatus.READY, "the job finished before it was killed"
            return row.status == DatasetStatus.GENERATING and row.progress >= 0.2

        wait_until(midway, 120, "the simulation to be a fifth done")
        assert list(folder.rglob("*.mrc"))  # partial files exist
        (child,) = pool_children(worker.pid)
        kill_hard(child)

        # the re-delivered task finds it interrupted (a minute or more on a loaded machine)
        failed = wait_until(
            lambda: (row := version()).status == DatasetStatus.FAILED and row, 180, "failed"
        )
        assert "interrupted" in failed.error
        assert not folder.exists()
        assert worker.poll() is None
        with factory() as db:
            still_active = active_dataset(db)
            assert still_active is not None
            assert still_active.id == active_id
        assert _checksums(settings.datasets_dir / f"v{active_id}") == active_files

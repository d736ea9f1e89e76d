"""First start: the admin account and a small demo dataset, created only when missing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion
from app.services.datasets import create_dataset_version, generate_dataset
from app.services.users import ensure_admin

DEMO_NAME = "demo"


@dataclass(frozen=True)
class SeedReport:
    """What the first start created: the admin's one-time password, the demo dataset."""

    admin_username: str
    admin_password: str | None
    demo_dataset: str | None


def demo_parameters(settings: Settings) -> dict[str, int]:
    """Simulator parameters of the demo dataset (small: generated in seconds)."""
    return {
        "size": settings.demo_size,
        "slab": settings.demo_slab,
        "particles": settings.demo_particles,
        "tomograms": settings.demo_tomograms,
    }


def _demo_to_generate(db: Session, settings: Settings) -> int | None:
    """The id of the demo version still to be generated, creating it on an empty database."""
    versions = list(db.scalars(select(DatasetVersion)))
    if not versions:
        demo = create_dataset_version(
            db, name=DEMO_NAME, parameters=demo_parameters(settings), seed=settings.demo_seed
        )
        return demo.id
    for version in versions:  # a demo interrupted by a crash is generated again
        if version.name == DEMO_NAME and version.status != DatasetStatus.READY:
            return version.id
    return None


def seed(factory: sessionmaker[Session], settings: Settings) -> SeedReport:
    """Create the admin account and the demo dataset if they do not exist yet.

    Raises:
        Exception: whatever the simulator raises while generating the demo dataset.
    """
    with factory() as db:
        admin, password = ensure_admin(db, settings.admin_username, settings.admin_email)
        db.commit()
        username = admin.username
        demo_id = _demo_to_generate(db, settings)
    demo_name = None
    if demo_id is not None:
        demo = generate_dataset(factory, settings, demo_id, activate=True, restart_interrupted=True)
        demo_name = demo.name
    return SeedReport(admin_username=username, admin_password=password, demo_dataset=demo_name)

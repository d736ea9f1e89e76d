"""Phases of a dataset version: when it takes uploads, with which quota, and closing it.

A dataset version may have several phases (an open-ended `continuous` development phase, a
dated yearly `edition`). A submission goes to one phase; the phase takes uploads while its
version is active and `opens_at <= now < closes_at` (no end for continuous phases) and it is
not closed. Closing (an admin, or the beat scheduler at `closes_at`) freezes the phase's
leaderboard as a `PhaseSnapshot` and reveals its private split (app/services/snapshots.py).
"""

from __future__ import annotations

import datetime as dt

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion, Phase, PhaseKind, User, utcnow
from app.schemas import EditionCreate, PhaseCreate
from app.services.datasets import active_dataset, create_dataset_version, get_dataset
from app.services.errors import Conflict, InvalidInput, NotFound, Unavailable
from app.services.quota import Quota, quota_status

MAX_ID = 2**31 - 1


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A timestamp in UTC; one without a zone is read as UTC (the API documents this)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def ladder_setting(value: bool | float | str | None) -> tuple[str | None, float | None]:
    """The stored Ladder rule of a request's `ladder`: off (null or false), the bootstrap
    noise of the difference (true or "bootstrap"), or a fixed F1 threshold (a number).

    Raises:
        InvalidInput: for a threshold outside (0, 1) or an unknown word.
    """
    if value is None or value is False:
        return None, None
    if value is True or value == "bootstrap":
        return "bootstrap", None
    if isinstance(value, (int, float)):
        if not 0 < float(value) < 1:
            raise InvalidInput(f"ladder: a fixed threshold must lie between 0 and 1, got {value}")
        return "fixed", float(value)
    raise InvalidInput(f"ladder: expected null, true, 'bootstrap' or a threshold, got {value!r}")


def create_phase(db: Session, admin: User, request: PhaseCreate) -> Phase:
    """Record a new phase of a dataset version (committed).

    Raises:
        NotFound: if the dataset version does not exist.
        InvalidInput: an edition without `closes_at`, a window that ends before it opens,
            a bad Ladder setting.
        Conflict: if the version already has a phase of that name.
    """
    version = get_dataset(db, request.dataset_version_id)
    opens_at = as_utc(request.opens_at) if request.opens_at else utcnow()
    closes_at = as_utc(request.closes_at) if request.closes_at else None
    if request.kind == "edition" and closes_at is None:
        raise InvalidInput("closes_at: an edition needs a closing time")
    if closes_at is not None and closes_at <= opens_at:
        raise InvalidInput(
            f"closes_at: {closes_at:%Y-%m-%d %H:%M} UTC is not after opens_at "
            f"({opens_at:%Y-%m-%d %H:%M} UTC)"
        )
    ladder, threshold = ladder_setting(request.ladder)
    taken = select(Phase.id).where(
        Phase.dataset_version_id == version.id, Phase.name == request.name
    )
    if db.scalar(taken) is not None:
        raise Conflict(f"name: dataset version {version.id} already has a phase {request.name!r}")
    phase = Phase(
        dataset_version_id=version.id,
        name=request.name,
        kind=request.kind,
        opens_at=opens_at,
        closes_at=closes_at,
        daily_quota=request.daily_quota,
        ladder=ladder,
        ladder_threshold=threshold,
    )
    db.add(phase)
    db.commit()
    return phase


def list_phases(db: Session, dataset_version_id: int | None = None) -> list[Phase]:
    """Every phase (of one version when given), newest first."""
    query = select(Phase).options(selectinload(Phase.dataset_version), selectinload(Phase.snapshot))
    if dataset_version_id is not None:
        query = query.where(Phase.dataset_version_id == dataset_version_id)
    return list(db.scalars(query.order_by(Phase.id.desc())))


def get_phase(db: Session, phase_id: int, *options: ORMOption) -> Phase:
    """A phase by id (loaded with `options`, such as its version joined).

    Raises:
        NotFound: if there is none with that id.
    """
    phase = db.get(Phase, phase_id, options=options)
    if phase is None:
        raise NotFound(f"phase {phase_id} not found")
    return phase


def _default_among(phases: list[Phase]) -> Phase | None:
    """Of a version's phases, newest first, the default: its open continuous phase, else its
    open phase, else its newest phase (a closed version still shows its last board)."""
    open_ = [phase for phase in phases if phase.state == "open"]
    continuous = [phase for phase in open_ if phase.kind == PhaseKind.CONTINUOUS]
    return next(iter(continuous or open_ or phases), None)


def version_default_phase(db: Session, version: DatasetVersion) -> Phase | None:
    """A version's default phase (see `_default_among`)."""
    return _default_among(list_phases(db, version.id))


# built once: every upload that names no phase asks it
_ACTIVE_VERSION_PHASES = (
    select(Phase)
    .join(Phase.dataset_version)
    .where(DatasetVersion.is_active.is_(True), DatasetVersion.status == DatasetStatus.READY)
    .options(contains_eager(Phase.dataset_version))
    .order_by(Phase.id.desc())
)


def _active_version_phases(db: Session, *options: ORMOption) -> list[Phase]:
    """The phases of the active, ready dataset version, newest first, each with its version,
    in one query (at most one version is active)."""
    return list(db.scalars(_ACTIVE_VERSION_PHASES.options(*options)))


def default_phase(db: Session) -> Phase | None:
    """The phase of clients that name none: the default phase of the active version."""
    return _default_among(_active_version_phases(db, selectinload(Phase.snapshot)))


def parse_phase_id(value: str | int | None) -> int | None:
    """The `phase` field of a form or query as an id (None when empty).

    Raises:
        InvalidInput: if it is not a whole number in the id range.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(f"phase: expected a phase id (a whole number), got {text[:40]!r}")
    return int(text)


def phase_for_upload(db: Session, phase_id: int | None, now: dt.datetime | None = None) -> Phase:
    """The phase an upload goes to, checked to take uploads now.

    Raises:
        NotFound: the phase does not exist.
        Unavailable: no phase was named and none is open.
        Conflict: the phase is not open (upcoming, closed, or its version not active),
            with when it opens or closed.
    """
    # one query each way, with the phase's version (the check and the upload read it)
    if phase_id is None:
        phase = _default_among(_active_version_phases(db))
        if phase is None:
            raise Unavailable("no dataset version is ready for scoring yet; try again later")
    else:
        phase = get_phase(db, phase_id, joinedload(Phase.dataset_version))
    phase_for_upload_check(phase, now)
    return phase


def phase_for_upload_check(phase: Phase, now: dt.datetime | None = None) -> None:
    """Check that `phase` takes uploads now.

    Raises:
        Conflict: the phase is upcoming, closed, or its version is not active, with when it
            opens or closed.
    """
    state = phase.state_at(now or utcnow())
    label = f"phase {phase.id} ({phase.name})"
    if state == "upcoming":
        when = (
            f"opens at {phase.opens_at:%Y-%m-%d %H:%M} UTC"
            if (now or utcnow()) < phase.opens_at
            else f"opens when dataset version {phase.dataset_version.name} is ready"
        )
        raise Conflict(f"phase: {label} {when}; it takes no submissions yet (no quota was used)")
    if state == "closed":
        closed = phase.closed_at or phase.closes_at
        assert closed is not None  # closed means one of them is set
        raise Conflict(
            f"phase: {label} closed at {closed:%Y-%m-%d %H:%M} UTC; "
            "it takes no more submissions (no quota was used)"
        )
    version = phase.dataset_version
    if version.status != DatasetStatus.READY or not version.is_active:
        raise Conflict(
            f"phase: {label} belongs to dataset version {version.name}, which is not the "
            "active version; it takes no submissions (no quota was used)"
        )


def open_phases(db: Session) -> list[Phase]:
    """The phases taking uploads now, the default one first (the upload form's choices)."""
    first = default_phase(db)
    phases = [phase for phase in list_phases(db) if _takes_uploads(phase)]
    return sorted(phases, key=lambda phase: (first is None or phase.id != first.id, phase.id))


def _takes_uploads(phase: Phase) -> bool:
    try:
        phase_for_upload_check(phase)
    except (Conflict, Unavailable):
        return False
    return True


def open_edition(
    db: Session, celery: Celery, admin: User, request: EditionCreate
) -> tuple[Phase, DatasetVersion]:
    """A fresh edition in one action: a new version with the simulator settings and public
    seed of `from_version` (the same training data) and a new secret (a new hidden test),
    activated as soon as it is ready, and the edition phase on it; the phase takes uploads
    from then until `closes_at` (committed; the simulation runs on the `simulation` queue).

    Raises:
        NotFound: no such source version; Conflict: none active when none is named, or the
            dataset name is taken; InvalidInput: a closing time already past, a bad Ladder
            setting; Unavailable: the task queue is unreachable.
    """
    from app.services.regeneration import RESERVED_NAME, start_generation

    if request.dataset_name is not None and RESERVED_NAME.fullmatch(request.dataset_name):
        raise InvalidInput(
            "dataset_name: names like 'v12' are given to unnamed versions; choose another"
        )

    source = get_dataset(db, request.from_version) if request.from_version else active_dataset(db)
    if source is None:
        raise Conflict("from_version: no dataset version is active; name the one to follow")
    closes_at = as_utc(request.closes_at)
    if closes_at <= utcnow():
        raise InvalidInput(f"closes_at: {closes_at:%Y-%m-%d %H:%M} UTC is already past")
    ladder, threshold = ladder_setting(request.ladder)
    version = create_dataset_version(
        db,
        name=request.dataset_name,
        parameters=dict(source.parameters),
        seed=source.seed,
        triggered_by=admin,
    )
    phase = Phase(
        dataset_version_id=version.id,
        name=request.name,
        kind=PhaseKind.EDITION,
        opens_at=utcnow(),
        closes_at=closes_at,
        daily_quota=request.daily_quota,
        ladder=ladder,
        ladder_threshold=threshold,
    )
    db.add(phase)
    db.commit()
    start_generation(db, celery, version, activate=True)
    return phase, version


def phase_quota(db: Session, user: User, settings: Settings, phase_id: int | None = None) -> Quota:
    """The user's quota today in a phase (default: the default phase; the site's quota when
    no phase exists yet).

    Raises:
        NotFound: if the phase does not exist.
    """
    phase = get_phase(db, phase_id) if phase_id is not None else default_phase(db)
    return quota_status(db, user, settings, phase=phase)

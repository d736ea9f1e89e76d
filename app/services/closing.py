"""Closing a phase: its leaderboard frozen as an immutable snapshot, its private split revealed.

The snapshot holds both splits' boards (best and latest entry per participant and method),
every ranked entry's result documents on both parts, the evaluator version(s) and the
ground-truth checksum they were computed with, and the SHA-256 of the canonical JSON of all
that. It is written once and never updated: re-scoring the version later adds result rows,
but a closed phase's board, report and figures are read from the snapshot.

A submission uploaded before the close counts, even when it is still being scored then. So
closing is two steps: the close (by an admin, a version's activation, or the beat at
`closes_at`) ends the upload window at once, and the snapshot is frozen only when no
submission uploaded before that moment is still `received`, `queued` or `running`. Until then
the phase is *closing*: it takes no uploads, its private split stays hidden, and the beat
job (`close_due_phases`, every sweep interval) freezes it as soon as the last one is scored
or failed. The sweeper re-sends every pending submission until it is one or the other, so a
closing phase always ends closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.models import Phase, PhaseSnapshot, Result, Submission, SubmissionStatus, User, utcnow
from app.services.disclosure import Split
from app.services.errors import Conflict
from app.services.leaderboard import Mode, ranked_rows

log = logging.getLogger(__name__)

SPLITS: tuple[Split, ...] = ("public", "private")
MODES: tuple[Mode, ...] = ("best", "latest")


@event.listens_for(PhaseSnapshot, "before_update")
def _frozen(*_: Any) -> None:
    """A snapshot is written once: any change to a stored one is refused."""
    raise RuntimeError("a closed phase's snapshot is immutable")


def canonical_sha256(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _results(db: Session, submission_ids: set[int]) -> dict[str, dict[str, Any]]:
    """The current result of each entry, both parts (keyed by submission id as text)."""
    documents: dict[str, dict[str, Any]] = {}
    for submission in db.scalars(select(Submission).where(Submission.id.in_(submission_ids))):
        result: Result | None = submission.current_result
        if result is None:
            continue
        documents[str(submission.id)] = {
            "result_id": result.id,
            "evaluator_version": result.evaluator_version,
            "ground_truth_checksum": result.ground_truth_checksum,
            "public": result.metrics_public or result.metrics,
            "private": result.metrics_private or result.metrics,
        }
    return documents


def snapshot_document(db: Session, phase: Phase, closed_at: dt.datetime) -> dict[str, Any]:
    """What a closed phase keeps forever: boards of both splits, results, provenance."""
    boards = {
        split: {mode: ranked_rows(db, phase, split, mode) for mode in MODES} for split in SPLITS
    }
    entries = {row["submission_id"] for board in boards.values() for row in board["best"]}
    entries |= {row["submission_id"] for board in boards.values() for row in board["latest"]}
    results = _results(db, entries)
    versions = sorted({entry["evaluator_version"] for entry in results.values()})
    version = phase.dataset_version
    return {
        "phase": {
            "id": phase.id,
            "name": phase.name,
            "kind": phase.kind,
            "dataset_version_id": version.id,
            "dataset_version": version.name,
            "opens_at": phase.opens_at.isoformat(),
            "closes_at": phase.closes_at.isoformat() if phase.closes_at else None,
            "closed_at": closed_at.isoformat(),
        },
        "evaluator_versions": versions,
        "ground_truth_checksum": version.ground_truth_checksum,
        "boards": boards,
        "results": results,
    }


PENDING = (SubmissionStatus.RECEIVED, SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)


def pending_before_close(db: Session, phase: Phase) -> int:
    """How many submissions of `phase` are still being scored. Once its window has ended
    they were all uploaded before the close (later uploads are refused), so none is left
    out by comparing times: an upload checked just before the close and stored just after
    still counts."""
    query = select(func.count(Submission.id)).where(
        Submission.phase_id == phase.id, Submission.status.in_(PENDING)
    )
    return int(db.scalar(query) or 0)


def close_phase(
    db: Session,
    phase: Phase,
    by: User | None = None,
    now: dt.datetime | None = None,
    *,
    commit: bool = True,
) -> PhaseSnapshot | None:
    """Close `phase`: uploads end now (its `closes_at` moved to now when later), and its
    boards are frozen in a snapshot with the private split revealed, unless submissions
    uploaded before the close are still being scored: the phase is then closing, and the beat
    job freezes it once they are done (None is returned). Committed, or only flushed with
    `commit=False` inside a larger change. The phase row is locked first, so two closers make
    one snapshot.

    Raises:
        Conflict: if the phase is already closed.
    """
    db.refresh(phase, with_for_update=True)
    if phase.closed_at is not None:
        raise Conflict(f"phase {phase.id} ({phase.name}) is already closed")
    moment = now or utcnow()
    if phase.closes_at is None or phase.closes_at > moment:
        phase.closes_at = moment  # the upload window ends with the close
    if by is not None:
        phase.closed_by_id = by.id
    db.flush()
    if pending_before_close(db, phase):
        if commit:
            db.commit()
        log.debug("phase %s closing: waiting for submissions uploaded before it", phase.id)
        return None
    return _freeze(db, phase, moment, commit=commit)


def _freeze(db: Session, phase: Phase, closed_at: dt.datetime, *, commit: bool) -> PhaseSnapshot:
    """Write the snapshot of a phase none of whose submissions is pending any more."""
    document = snapshot_document(db, phase, closed_at)
    snapshot = PhaseSnapshot(
        phase_id=phase.id,
        evaluator_version=",".join(document["evaluator_versions"]) or "none",
        ground_truth_checksum=document["ground_truth_checksum"] or "",
        sha256=canonical_sha256(document),
        document=document,
    )
    phase.closed_at = closed_at
    db.add(snapshot)
    if not commit:
        db.flush()
        return snapshot
    try:
        db.commit()
    except IntegrityError as error:  # the unique phase_id: another closer was first
        db.rollback()
        raise Conflict(f"phase {phase.id} ({phase.name}) is already closed") from error
    return snapshot


def close_due_phases(factory: sessionmaker[Session], now: dt.datetime | None = None) -> list[int]:
    """Freeze every phase past its `closes_at` whose submissions uploaded before then are
    all scored or failed (the beat scheduler's job); their ids."""
    now = now or utcnow()
    closed = []
    with factory() as db:
        due = select(Phase.id).where(Phase.closed_at.is_(None), Phase.closes_at <= now)
        for phase_id in list(db.scalars(due)):
            phase = db.get(Phase, phase_id)
            if phase is None or phase.state_at(now) != "closed":
                continue
            try:
                # frozen at its closing time, or when its last pending submission was done
                snapshot = close_phase(db, phase, None, phase.closes_at)
            except Conflict:  # another scheduler closed it meanwhile
                db.rollback()
                continue
            if snapshot is None:
                continue
            log.info("phase %s closed (snapshot frozen)", phase_id)
            closed.append(phase_id)
    return closed


def snapshot_intact(snapshot: PhaseSnapshot) -> bool:
    """Whether the stored document still hashes to the recorded SHA-256."""
    return canonical_sha256(snapshot.document) == snapshot.sha256

"""The database schema as SQLAlchemy 2 ORM models (changed only together with a migration)."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_test_secret() -> str:
    """A fresh 256-bit secret for a dataset version's hidden test tomograms, as hex."""
    return secrets.token_hex(32)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention shared by models and migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Role(enum.StrEnum):
    """What a user may do: participants submit, organizers also run baselines, admins manage."""

    PARTICIPANT = "participant"
    ORGANIZER = "organizer"
    ADMIN = "admin"


class SubmissionStatus(enum.StrEnum):
    """Lifecycle of a submission: received -> queued -> running -> scored | failed."""

    RECEIVED = "received"
    QUEUED = "queued"
    RUNNING = "running"
    SCORED = "scored"
    FAILED = "failed"


class DatasetStatus(enum.StrEnum):
    """Lifecycle of a dataset version: queued -> generating -> ready | failed."""

    QUEUED = "queued"
    GENERATING = "generating"
    READY = "ready"
    FAILED = "failed"


# regenerations queue up, but the unique index on `status` under this filter lets only one
# version be generating at a time: two simulations never interleave, whatever the workers
GENERATING_WHERE = "status = 'generating'"


class PhaseKind(enum.StrEnum):
    """A phase of a dataset version: open-ended development, or a dated yearly edition."""

    CONTINUOUS = "continuous"
    EDITION = "edition"


class TokenScope(enum.StrEnum):
    """What an API token may do: everything its owner may, or only submit and read back."""

    FULL = "full"
    SUBMIT = "submit"


def _username_key(context: DefaultExecutionContext) -> str:
    from app.services.names import username_key

    key: str = username_key(context.get_current_parameters()["username"])  # type: ignore[no-untyped-call]
    return key


class User(Base):
    """A registered account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # the username's look-alike skeleton: `Alice`, `alice` and `aIice` cannot all exist
    username_key: Mapped[str] = mapped_column(String(255), unique=True, default=_username_key)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.PARTICIPANT)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # an admin's override of the daily quota for this participant (None: the site's setting)
    daily_quota: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")
    submissions: Mapped[list[Submission]] = relationship(back_populates="user")


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    scope: Mapped[str] = mapped_column(String(16), default=TokenScope.FULL)

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(Base):
    """A browser session: the cookie carries its random key, only the SHA-256 is stored, so
    deleting the row (logout, password change, deactivation) makes any copy of the cookie
    useless."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

    user: Mapped[User] = relationship()


class Invite(Base):
    """A single-use invitation to register (when `TOMOBENCH_REGISTRATION=invite`); only the
    code's SHA-256 is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[dt.datetime | None]

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])


class DatasetVersion(Base):
    """One generated dataset: parameters, files, which tomogram is the hidden test."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        # at most one active version, enforced by the database itself
        Index(
            "uq_dataset_versions_one_active",
            "is_active",
            unique=True,
            postgresql_where=text("is_active"),
            sqlite_where=text("is_active"),
        ),
        # at most one version generating, enforced by the database itself
        Index(
            "uq_dataset_versions_one_generating",
            "status",
            unique=True,
            postgresql_where=text(GENERATING_WHERE),
            sqlite_where=text(GENERATING_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seed: Mapped[int] = mapped_column(Integer)
    # the hidden test tomograms' randomness comes from this secret, never from the public seed;
    # it never leaves the server (no schema, page, file or log carries it)
    test_secret: Mapped[str] = mapped_column(String(64), default=new_test_secret)
    # why this version's hidden test cannot be trusted (None: it can)
    compromised: Mapped[str | None] = mapped_column(Text)
    simulator_version: Mapped[str] = mapped_column(String(50), default="")
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the first hidden test tomogram (a contract of the API) and all of them, in order
    test_tomogram: Mapped[str] = mapped_column(String(100), default="")
    test_tomograms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # the evaluator profile submissions to this version are scored with
    profile: Mapped[str] = mapped_column(String(32), default="native", server_default="native")
    ground_truth_checksum: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=DatasetStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(100), default="")
    error: Mapped[str | None] = mapped_column(Text)
    triggered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # when it was first activated: a version never released has no leaderboard to close
    released_at: Mapped[dt.datetime | None]

    triggered_by: Mapped[User | None] = relationship()


PhaseState = Literal["upcoming", "open", "closed"]


class Phase(Base):
    """A submission window of a dataset version with its own quota; closing it freezes its
    leaderboard (`PhaseSnapshot`) and reveals the private part of the hidden test."""

    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("dataset_version_id", "name", name="uq_phases_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default=PhaseKind.CONTINUOUS)
    opens_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[dt.datetime | None]
    # uploads per participant and UTC day in this phase (None: the site's setting)
    daily_quota: Mapped[int | None] = mapped_column(default=None)
    # the Ladder rule on the public board: None (off), "fixed" or "bootstrap"
    ladder: Mapped[str | None] = mapped_column(String(16))
    ladder_threshold: Mapped[float | None] = mapped_column(Float)
    # set once, by closing: the phase takes no uploads and its private split is revealed
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    dataset_version: Mapped[DatasetVersion] = relationship()
    snapshot: Mapped[PhaseSnapshot | None] = relationship(back_populates="phase")

    @property
    def private_revealed(self) -> bool:
        """Whether the private split's figures may be shown to everybody."""
        return self.closed_at is not None

    def state_at(self, now: dt.datetime) -> PhaseState:
        """`closed` once closed or past `closes_at`; `upcoming` before `opens_at` or while its
        version is not yet ready and released (an edition on a version being simulated); else
        `open`."""
        if self.closed_at is not None or (self.closes_at is not None and now >= self.closes_at):
            return "closed"
        version = self.dataset_version
        released = version.status == DatasetStatus.READY and version.released_at is not None
        return "upcoming" if now < self.opens_at or not released else "open"

    @property
    def state(self) -> PhaseState:
        """The phase's state now (see `state_at`)."""
        return self.state_at(utcnow())


class PhaseSnapshot(Base):
    """The frozen leaderboard of a closed phase: written once, never updated (re-scoring the
    version later changes results, never this document; `sha256` proves it)."""

    __tablename__ = "phase_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="RESTRICT"), unique=True)
    evaluator_version: Mapped[str] = mapped_column(String(50))
    ground_truth_checksum: Mapped[str] = mapped_column(String(64))
    # the canonical JSON of `document` (sorted keys, no spaces) hashed with SHA-256
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    phase: Mapped[Phase] = relationship(back_populates="snapshot")


def _team_name_key(context: DefaultExecutionContext) -> str:
    from app.services.names import skeleton

    key: str = skeleton(context.get_current_parameters()["name"])  # type: ignore[no-untyped-call]
    return key


class Team(Base):
    """Participants who enter together: one daily quota and one leaderboard entry."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # the name's look-alike skeleton: two teams never look alike on the leaderboard
    name_key: Mapped[str] = mapped_column(String(255), unique=True, default=_team_name_key)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", order_by="TeamMember.id", cascade="all, delete-orphan"
    )


class TeamMember(Base):
    """A user's membership; the unique `user_id` keeps everyone in one team at a time."""

    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class TeamInvite(Base):
    """A member's invitation of a user to the team, until that user joins or declines."""

    __tablename__ = "team_invites"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_invites_team_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class MethodCard(Base):
    """What a method is and how it was made: who, a one-page Markdown description, code,
    paper, training data and compute. One per method name of its owner (a team, or a user
    without one); every leaderboard row links to the card of its submission's method."""

    __tablename__ = "method_cards"
    __table_args__ = (UniqueConstraint("owner_key", "method", name="uq_method_cards_owner_method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "team:<id>" or "user:<id>": one unique key for either kind of owner
    owner_key: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(100))
    authors: Mapped[str] = mapped_column(Text, default="")
    affiliation: Mapped[str] = mapped_column(Text, default="")
    # Markdown, rendered without raw HTML and with an allow-list of link schemes
    description: Mapped[str] = mapped_column(Text, default="")
    code_url: Mapped[str] = mapped_column(String(500), default="")
    paper: Mapped[str] = mapped_column(String(500), default="")
    training_data: Mapped[str] = mapped_column(Text, default="")
    compute_hardware: Mapped[str] = mapped_column(String(300), default="")
    compute_time: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class ModerationAction(Base):
    """One organizer action on the leaderboard's entries (rename, hide, show, merge): who did
    what to which entry, when and why; rows are only ever added."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # the actor's name as it was, so the log still says who after an account is gone
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class Submission(Base):
    """An uploaded result file and where it stands in the scoring lifecycle."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dataset_version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="RESTRICT"), index=True
    )
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="RESTRICT"), index=True)
    method: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # the free-text team of rows made before teams existed; new rows copy their team's name
    team: Mapped[str] = mapped_column(String(100), default="")
    # the team the upload counts for (its quota and its one leaderboard entry); None: the user
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(Integer)
    predictions: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_code_version: Mapped[str | None] = mapped_column(String(100))
    baseline_weights_checksum: Mapped[str | None] = mapped_column(String(64))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    # chosen by its team (or its user without one) to stand for the entry on the phase's
    # private board; without a choice the entry's best public submission does
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="submissions")
    team_ref: Mapped[Team | None] = relationship()
    dataset_version: Mapped[DatasetVersion] = relationship()
    phase: Mapped[Phase] = relationship()
    results: Mapped[list[Result]] = relationship(
        back_populates="submission", order_by="Result.id", cascade="all, delete-orphan"
    )

    @property
    def current_result(self) -> Result | None:
        """The most recent score of this submission, or None before it is scored."""
        return self.results[-1] if self.results else None


class Result(Base):
    """One scoring of a submission; a re-score with a new evaluator or ground truth adds a row."""

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint(
            "submission_id",
            "ground_truth_checksum",
            "evaluator_version",
            name="uq_results_score_identity",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    dataset_version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="RESTRICT"), index=True
    )
    ground_truth_checksum: Mapped[str] = mapped_column(String(64))
    evaluator_version: Mapped[str] = mapped_column(String(50))
    metrics: Mapped[dict[str, Any]] = mapped_column()
    # the same scoring on the public and the private part of the hidden test (None: scored
    # before the split existed)
    metrics_public: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    metrics_private: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # what the leaderboard shows of each part, derived from the documents on every write
    # (app/services/board_figures.py): a few rounded figures and the F1 samples as bytes
    board_public: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    board_private: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    board_samples_public: Mapped[bytes | None] = mapped_column(LargeBinary)
    board_samples_private: Mapped[bytes | None] = mapped_column(LargeBinary)
    scoring_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="results")


@event.listens_for(Result, "before_insert")
@event.listens_for(Result, "before_update")
def _derive_board_columns(_mapper: Any, _connection: Any, result: Result) -> None:
    """Keep the board columns in step with the documents, whoever writes them."""
    from app.services.board_figures import board_columns  # it imports this module

    columns = board_columns(result.metrics, result.metrics_public, result.metrics_private)
    for name, value in columns.items():
        setattr(result, name, value)


class BaselineRunStatus(enum.StrEnum):
    """A baseline run: queued -> training -> predicting -> submitted (then scored like any
    submission) | failed with its reason."""

    QUEUED = "queued"
    TRAINING = "training"
    PREDICTING = "predicting"
    SUBMITTED = "submitted"
    FAILED = "failed"


# a baseline is run at most once at a time per version: a unique index under this filter
PENDING_RUN_WHERE = "status IN ('queued', 'training', 'predicting')"


class BaselineRun(Base):
    """One run of a reference picker on a dataset version, from the request to its entry."""

    __tablename__ = "baseline_runs"
    __table_args__ = (
        Index(
            "uq_baseline_runs_one_pending",
            "dataset_version_id",
            "name",
            unique=True,
            postgresql_where=text(PENDING_RUN_WHERE),
            sqlite_where=text(PENDING_RUN_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    config: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BaselineRunStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    dataset_version: Mapped[DatasetVersion] = relationship()
    submission: Mapped[Submission | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def submission_status(self) -> str | None:
        """Where the run's entry stands (None before it is submitted): scored, failed, ..."""
        return self.submission.status if self.submission is not None else None


class WorkerHeartbeat(Base):
    """A Celery worker that is consuming, refreshed every few seconds while it lives."""

    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    queues: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

"""Request and response bodies of the REST API (input and output models kept apart)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.models import Submission, User
from app.services.disclosure import visible_metrics, visible_private
from baselines.names import CONFIGS as BASELINE_CONFIGS
from baselines.names import NAMES as BASELINE_NAMES


class UserCreate(BaseModel):
    """A registration."""

    username: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    # needed when the site registers by invitation only (TOMOBENCH_REGISTRATION=invite)
    invite_code: str | None = Field(default=None, max_length=200)


class UserPublic(BaseModel):
    """An account as its owner and admins see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    role: str
    is_active: bool
    daily_quota: int | None = None
    created_at: dt.datetime


class UsersPublic(BaseModel):
    """A list of accounts."""

    data: list[UserPublic]
    count: int


class RoleUpdate(BaseModel):
    """A new role for an account."""

    role: str = Field(pattern="^(participant|organizer|admin)$")


class ActiveUpdate(BaseModel):
    """Approve or re-activate (true) or deactivate (false) an account."""

    model_config = ConfigDict(extra="forbid")

    is_active: bool


class PasswordChange(BaseModel):
    """A new password for the caller's own account, confirmed by the current one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PasswordChanged(BaseModel):
    """What a password change ended: the account's other browser sessions and its tokens."""

    sessions_ended: int
    tokens_revoked: int


class InviteCreate(BaseModel):
    """A new single-use invitation: a note for the admins, and its lifetime (default
    `TOMOBENCH_INVITE_LIFETIME_DAYS`)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=365)


class InvitePublic(BaseModel):
    """An invitation without its code."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    note: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    used_by_id: int | None


class InviteCreated(InvitePublic):
    """A new invitation: the only time its code is shown."""

    code: str


class InvitesPublic(BaseModel):
    """Every invitation."""

    data: list[InvitePublic]
    count: int


class QuotaUpdate(BaseModel):
    """A participant's own daily quota; null returns them to the site's setting."""

    model_config = ConfigDict(extra="forbid")

    daily_quota: int | None = Field(ge=0, le=100_000)


class TokenCreate(BaseModel):
    """Optional label, scope and lifetime (default `TOMOBENCH_TOKEN_LIFETIME_DAYS`) of a new
    token; scope `submit` may only upload and read back the owner's own submissions."""

    name: str = Field(default="", max_length=100)
    scope: Literal["full", "submit"] = "full"
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenPublic(BaseModel):
    """A token without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    token_prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None
    scope: str


class TokenCreated(TokenPublic):
    """A new token: the only time its secret is shown."""

    token: str


class TokensPublic(BaseModel):
    """The user's tokens."""

    data: list[TokenPublic]
    count: int


class QuotaPublic(BaseModel):
    """Today's submission quota for the hidden test (limit null: unlimited)."""

    limit: int | None
    used: int
    remaining: int | None
    resets_at: dt.datetime
    team: str | None = None  # the team whose quota this is (null: the caller's own)


class SubmissionCreated(BaseModel):
    """The answer to an accepted upload."""

    id: int
    status: str
    quota: QuotaPublic


def _viewer(info: ValidationInfo) -> User:
    viewer: User | None = (info.context or {}).get("viewer")
    if viewer is None:  # what a result shows depends on who asks
        raise ValueError("validate a submission with context={'viewer': user}")
    return viewer


# what a result shows depends on who asks: build it with SubmissionPublic.seen_by
class SubmissionPublic(BaseModel):
    """A submission, its lifecycle status and, once scored, the evaluator's JSON."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user: str = Field(validation_alias=AliasPath("user", "username"))
    method: str
    description: str
    # the team the upload counts for; else the free text of rows made before teams existed
    team: str = Field(validation_alias=AliasChoices(AliasPath("team_ref", "name"), "team"))
    team_id: int | None = None
    filename: str
    file_sha256: str
    file_bytes: int
    predictions: int
    dataset_version_id: int
    phase_id: int
    phase: str = Field(validation_alias=AliasPath("phase", "name"))
    status: str
    error: str | None
    attempts: int
    is_baseline: bool
    hidden: bool
    hidden_reason: str | None
    # chosen by its team (or user) for the phase's private board (GET /api/v1/selection
    # says which stands there, the default included)
    selected: bool = False
    created_at: dt.datetime
    queued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    # these three come from the current (latest) result, null before the first scoring
    evaluator_version: str | None = Field(validation_alias="current_result")
    ground_truth_checksum: str | None = Field(validation_alias="current_result")
    result: dict[str, Any] | None = Field(validation_alias="current_result")
    # the private part's document: set only for organizers and admins, and for everybody
    # once the phase closed (the API leaves the key out otherwise)
    result_private: dict[str, Any] | None = None

    @classmethod
    def seen_by(cls, submission: Submission, viewer: User) -> SubmissionPublic:
        """`submission` with the part of its current result `viewer` may see."""
        return cls.model_validate(submission, context={"viewer": viewer})

    @field_validator("evaluator_version", "ground_truth_checksum", mode="before")
    @classmethod
    def _stamp_of_the_result(cls, result: Any, info: ValidationInfo) -> Any:
        return None if result is None else getattr(result, info.field_name or "")

    @field_validator("result", mode="before")
    @classmethod
    def _visible_result(cls, result: Any, info: ValidationInfo) -> Any:
        if result is None:
            return None
        return visible_metrics(result, _viewer(info), result.submission)

    @model_validator(mode="wrap")
    @classmethod
    def _visible_private_part(
        cls, data: Any, handler: ModelWrapValidatorHandler[SubmissionPublic], info: ValidationInfo
    ) -> SubmissionPublic:
        public = handler(data)
        result = data.current_result if isinstance(data, Submission) else None
        private = visible_private(result, _viewer(info), data) if result is not None else None
        if private is not None:  # assigned only when shown, so the key can be left out
            public.result_private = private
        return public


class SubmissionsPublic(BaseModel):
    """A page of submissions."""

    data: list[SubmissionPublic]
    count: int

    @classmethod
    def seen_by(cls, rows: list[Submission], count: int, viewer: User) -> SubmissionsPublic:
        """A page of `count` submissions in all, each as `viewer` may see it."""
        return cls(data=[SubmissionPublic.seen_by(row, viewer) for row in rows], count=count)


class HideRequest(BaseModel):
    """Why a submission is taken off the leaderboard."""

    reason: str = Field(min_length=1, max_length=2000)
    # every submission of its entry (team or participant) in its phase, not this one only
    whole_entry: bool = False


class TeamRename(BaseModel):
    """An organizer's new name for a team, and why."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=1000)
    reason: str = Field(default="", max_length=2000)


class MethodRename(BaseModel):
    """An organizer's new method name for a submission, and why."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(max_length=1000)
    reason: str = Field(default="", max_length=2000)


class MergeRequest(BaseModel):
    """The entry to merge into a team: another team (`team_id`) or a participant
    (`username`), and why."""

    model_config = ConfigDict(extra="forbid")

    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    username: str | None = Field(default=None, max_length=1000)
    reason: str = Field(max_length=2000)


class ModerationActionPublic(BaseModel):
    """One line of the moderation log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_name: str
    action: str
    target: str
    reason: str
    details: dict[str, Any]
    created_at: dt.datetime


class ModerationLogPublic(BaseModel):
    """The moderation log, newest first."""

    data: list[ModerationActionPublic]
    count: int


class TeamCreate(BaseModel):
    """A new team."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=1000)


class TeamInviteCreate(BaseModel):
    """Invite a user to the team by username."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=1000)


class TeamPublic(BaseModel):
    """A team and its members (teams are public: their names are on the leaderboard)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    members: list[str]  # usernames
    created_at: dt.datetime

    @field_validator("members", mode="before")
    @classmethod
    def _member_names(cls, members: Any) -> Any:
        return [member.user.username for member in members]


class TeamInvitePublic(BaseModel):
    """An invitation to a team, until the invited user joins or declines."""

    model_config = ConfigDict(from_attributes=True)

    id: int  # what a member withdraws it by
    team_id: int
    team: str = Field(validation_alias=AliasPath("team", "name"))
    username: str = Field(validation_alias=AliasPath("user", "username"))
    invited_by: str | None
    created_at: dt.datetime

    @field_validator("invited_by", mode="before")
    @classmethod
    def _inviter_name(cls, inviter: Any) -> Any:
        return None if inviter is None else inviter.username


class MyTeamPublic(BaseModel):
    """The caller's team (null without one) and the invitations waiting for an answer."""

    model_config = ConfigDict(from_attributes=True)

    team: TeamPublic | None
    invites: list[TeamInvitePublic]


class MethodCardFields(BaseModel):
    """The editable fields of a method card (all optional, plain text but `description`,
    which is Markdown)."""

    model_config = ConfigDict(extra="forbid")

    authors: str = Field(default="", max_length=20000)
    affiliation: str = Field(default="", max_length=20000)
    description: str = Field(default="", max_length=100000)
    code_url: str = Field(default="", max_length=20000)
    paper: str = Field(default="", max_length=20000)
    training_data: str = Field(default="", max_length=20000)
    compute_hardware: str = Field(default="", max_length=20000)
    compute_time: str = Field(default="", max_length=20000)


class MethodCardCreate(MethodCardFields):
    """A new method card, owned by the caller's team (or the caller without one)."""

    method: str = Field(max_length=1000)


class MethodCardPublic(BaseModel):
    """A method card; `description_html` is the Markdown rendered safely."""

    id: int
    method: str
    team: str | None
    user: str | None
    authors: str
    affiliation: str
    description: str
    description_html: str
    code_url: str
    paper: str
    paper_url: str | None
    training_data: str
    compute_hardware: str
    compute_time: str
    created_at: dt.datetime
    updated_at: dt.datetime


class MethodCardsPublic(BaseModel):
    """A list of method cards."""

    data: list[MethodCardPublic]
    count: int


class SelectionUpdate(BaseModel):
    """The submission to stand for the caller's entry on its phase's private board."""

    model_config = ConfigDict(extra="forbid")

    submission_id: int = Field(ge=1, le=2**31 - 1)


class SelectionPublic(BaseModel):
    """Which submission stands for the caller's entry on a phase's private board."""

    model_config = ConfigDict(from_attributes=True)

    phase_id: int = Field(validation_alias=AliasPath("phase", "id"))
    submission_id: int | None = Field(validation_alias="submission")
    default: bool  # true: no choice made, the entry's best public submission stands
    candidates: list[int]  # submission ids

    @field_validator("submission_id", mode="before")
    @classmethod
    def _chosen_id(cls, submission: Any) -> Any:
        return None if submission is None else submission.id

    @field_validator("candidates", mode="before")
    @classmethod
    def _candidate_ids(cls, candidates: Any) -> Any:
        return [submission.id for submission in candidates]


class DatasetVersionPublic(BaseModel):
    """A dataset version as the public sees it (no path, no hidden ground truth).

    `ground_truth_checksum` identifies the hidden ground truth every score of this version
    was computed against (as results record it); it reveals nothing of its content.
    `seed` rebuilds the training tomograms only: the test tomogram comes from a secret.
    `compromised`, when set, says why the version's hidden test cannot be trusted.
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    seed: int
    simulator_version: str
    parameters: dict[str, Any]
    status: str
    progress: float
    stage: str = ""
    is_active: bool
    test_tomogram: str = ""  # the first hidden test tomogram (all of them: test_tomograms)
    test_tomograms: list[str] = []
    profile: str = "native"  # the evaluator profile submissions are scored with
    ground_truth_checksum: str | None = None
    compromised: str | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None
    released_at: dt.datetime | None = None


class DatasetVersionsPublic(BaseModel):
    """All dataset versions, newest first."""

    data: list[DatasetVersionPublic]
    count: int


class DatasetVersionAdmin(DatasetVersionPublic):
    """A dataset version as admins see it: also why it failed and who asked for it."""

    error: str | None
    triggered_by: str | None  # a username

    @field_validator("triggered_by", mode="before")
    @classmethod
    def _admin_name(cls, admin: Any) -> Any:
        return None if admin is None else admin.username


class DatasetVersionsAdmin(BaseModel):
    """All dataset versions with their admin details, newest first."""

    data: list[DatasetVersionAdmin]
    count: int


class DatasetCreate(BaseModel):
    """A regeneration request: simulator settings (unset ones take the simulator's default;
    `slab` defaults to the whole volume below 200 voxels), a seed (default: drawn at random),
    an optional name (default `v<id>`) and whether to activate the version once ready."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    )
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    activate: bool = False
    # a simulator preset (docs/simulation.md); the settings below override its values
    preset: Literal["legacy", "default", "shrec19", "realistic"] | None = None
    size: int | None = Field(default=None, ge=16, le=1024)
    slab: int | None = Field(default=None, ge=1, le=1024)
    particles: int | None = Field(default=None, ge=0)
    tomograms: int | None = Field(default=None, ge=2, le=50)
    # the last ones are the hidden test; at least one tomogram is left for training
    test_tomograms: int | None = Field(default=None, ge=1, le=49)
    voxel_size: float | None = None
    snr: float | None = None
    dose: float | None = None
    tilt_min: float | None = None
    tilt_max: float | None = None
    tilt_step: float | None = None
    ctf: bool | None = None
    phase_flip: bool | None = None
    defocus_um: float | None = None
    defocus_variation: float | None = None
    voltage_kv: float | None = None
    cs_mm: float | None = None
    amplitude_contrast: float | None = None

    def simulator_settings(self) -> dict[str, Any]:
        """The simulator settings that were given."""
        return self.model_dump(exclude={"name", "seed", "activate"}, exclude_none=True)


class DatasetFilePublic(BaseModel):
    """One downloadable file of a dataset version."""

    tomogram: str
    role: str
    name: str
    bytes: int
    sha256: str
    url: str


class DatasetArchivePublic(BaseModel):
    """The tar archive of one tomogram's downloadable files (with a SHA256SUMS inside)."""

    tomogram: str
    role: str
    bytes: int
    url: str


class DatasetFilesPublic(BaseModel):
    """What a ready dataset version offers for download (never the test ground truth)."""

    dataset_version_id: int
    data: list[DatasetFilePublic]
    count: int
    archives: list[DatasetArchivePublic]


class BaselineRunRequest(BaseModel):
    """Which reference pickers to run on a dataset version, and with which preset."""

    model_config = ConfigDict(extra="forbid")

    names: list[str] = Field(default_factory=lambda: list(BASELINE_NAMES), min_length=1)
    config: str = "auto"

    @field_validator("names")
    @classmethod
    def _known_names(cls, names: list[str]) -> list[str]:
        unknown = [name for name in names if name not in BASELINE_NAMES]
        if unknown:
            raise ValueError(
                f"unknown baseline {unknown[0]!r}; expected some of {', '.join(BASELINE_NAMES)}"
            )
        return names

    @field_validator("config")
    @classmethod
    def _known_config(cls, config: str) -> str:
        if config not in BASELINE_CONFIGS:
            raise ValueError(f"unknown preset {config!r}; expected {', '.join(BASELINE_CONFIGS)}")
        return config


class BaselinesQueued(BaseModel):
    """The baselines queued on the `gpu` queue for a dataset version."""

    dataset_version_id: int
    queued: list[str]


class BaselineRunPublic(BaseModel):
    """Where one baseline run stands: queued, training, predicting, submitted (then its
    submission's own status says when it is scored) or failed with the reason."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_version_id: int
    name: str
    config: str
    status: str
    progress: float
    error: str | None
    submission_id: int | None
    submission_status: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class BaselineRunsPublic(BaseModel):
    """The baseline runs of a dataset version, newest first."""

    data: list[BaselineRunPublic]
    count: int


class RescoreQueued(BaseModel):
    """How many submissions of a version were queued for scoring again."""

    dataset_version_id: int
    queued: int


class LeaderboardColumn(BaseModel):
    """One sortable leaderboard column."""

    key: str
    label: str
    higher_is_better: bool | None


class LeaderboardPublic(BaseModel):
    """Leaderboard rows of one phase of a dataset version, on one split (`frozen`: read from
    the closed phase's snapshot)."""

    dataset_version: DatasetVersionPublic | None
    phase: PhasePublic | None = None
    split: str = "public"
    frozen: bool = False
    mode: str
    sort: str
    order: str
    columns: list[LeaderboardColumn]
    rows: list[dict[str, Any]]
    count: int


class HealthPublic(BaseModel):
    """Readiness of the web app, the database and the workers."""

    status: str
    database: str
    workers: int
    dataset: str | None


class PhaseCreate(BaseModel):
    """A new phase of a dataset version. Times without a zone are read as UTC; `opens_at`
    defaults to now; `daily_quota` (null: `TOMOBENCH_DAILY_QUOTA`) counts this phase's
    uploads; `ladder` turns on the Ladder rule of the public board: true or "bootstrap"
    (the bootstrap noise of the difference), or a fixed F1 threshold."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.'-]*$")
    dataset_version_id: int = Field(ge=1, le=2**31 - 1)
    kind: Literal["continuous", "edition"]
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    daily_quota: int | None = Field(default=None, ge=0, le=100_000)
    ladder: bool | float | Literal["bootstrap"] | None = None


class PhasePublic(BaseModel):
    """A phase: its window, state (`upcoming`, `open`, `closed`), quota, Ladder rule, and
    once closed, the SHA-256 of its frozen leaderboard."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_version_id: int
    dataset_version: str = Field(validation_alias=AliasPath("dataset_version", "name"))
    name: str
    kind: str
    state: str
    opens_at: dt.datetime
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None
    daily_quota: int | None
    ladder: str | None
    ladder_threshold: float | None
    private_revealed: bool
    snapshot_sha256: str | None = Field(validation_alias="snapshot")
    created_at: dt.datetime

    @field_validator("snapshot_sha256", mode="before")
    @classmethod
    def _snapshot_checksum(cls, snapshot: Any) -> Any:
        return None if snapshot is None else snapshot.sha256


class PhasesPublic(BaseModel):
    """Phases, newest first."""

    data: list[PhasePublic]
    count: int


class EditionCreate(BaseModel):
    """A fresh edition in one action: a new version simulated with the settings and public
    seed of `from_version` (default: the active one) and a new secret, and the edition phase
    on it, open from when the version is ready until `closes_at`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.'-]*$")
    closes_at: dt.datetime
    daily_quota: int | None = Field(default=None, ge=0, le=100_000)
    ladder: bool | float | Literal["bootstrap"] | None = None
    from_version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    dataset_name: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    )


class EditionQueued(BaseModel):
    """The edition's phase and the version being simulated for it."""

    phase: PhasePublic
    dataset_version: DatasetVersionPublic

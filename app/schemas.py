"""Request and response bodies of the REST API (input and output models kept apart)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class UserCreate(BaseModel):
    """A registration."""

    username: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    """An account as its owner and admins see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    role: str
    is_active: bool
    created_at: dt.datetime


class UsersPublic(BaseModel):
    """A list of accounts."""

    data: list[UserPublic]
    count: int


class RoleUpdate(BaseModel):
    """A new role for an account."""

    role: str = Field(pattern="^(participant|organizer|admin)$")


class TokenCreate(BaseModel):
    """Optional label for a new token."""

    name: str = Field(default="", max_length=100)


class TokenPublic(BaseModel):
    """A token without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    token_prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


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


class SubmissionCreated(BaseModel):
    """The answer to an accepted upload."""

    id: int
    status: str
    quota: QuotaPublic


class SubmissionPublic(BaseModel):
    """A submission, its lifecycle status and, once scored, the evaluator's JSON."""

    id: int
    user: str
    method: str
    description: str
    team: str
    filename: str
    file_sha256: str
    file_bytes: int
    predictions: int
    dataset_version_id: int
    status: str
    error: str | None
    attempts: int
    is_baseline: bool
    hidden: bool
    hidden_reason: str | None
    created_at: dt.datetime
    queued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    evaluator_version: str | None
    ground_truth_checksum: str | None
    result: dict[str, Any] | None


class SubmissionsPublic(BaseModel):
    """A page of submissions."""

    data: list[SubmissionPublic]
    count: int


class HideRequest(BaseModel):
    """Why a submission is taken off the leaderboard."""

    reason: str = Field(min_length=1, max_length=2000)


class DatasetVersionPublic(BaseModel):
    """A dataset version as the public sees it (no path, no hidden ground truth)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    seed: int
    simulator_version: str
    parameters: dict[str, Any]
    status: str
    progress: float
    is_active: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None


class LeaderboardColumn(BaseModel):
    """One sortable leaderboard column."""

    key: str
    label: str
    higher_is_better: bool | None


class LeaderboardPublic(BaseModel):
    """Leaderboard rows of one dataset version."""

    dataset_version: DatasetVersionPublic | None
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

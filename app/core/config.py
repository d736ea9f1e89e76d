"""Service settings: one pydantic-settings class, read from `TOMOBENCH_*` environment variables.

Every setting is documented in `docs/service.md`. Unsafe settings (no secret key, a short
one, the old public development key) are refused outside `env="dev"`; in development a
missing key is generated once and kept in the data folder (`app.core.secret_key`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# published in earlier releases, so anybody could sign a session cookie with it
PUBLIC_SECRET_KEYS = frozenset({"dev-only-secret-key-change-me"})
MIN_SECRET_KEY_CHARS = 32


class Settings(BaseSettings):
    """Everything the web app, the workers and the CLI need to know about their deployment."""

    model_config = SettingsConfigDict(env_prefix="TOMOBENCH_", extra="ignore", frozen=True)

    env: Literal["dev", "production"] = "dev"
    data_dir: Path = Path("data")
    database_url: str | None = None
    broker_url: str | None = None
    redis_key_prefix: str = ""
    # signs session cookies; None: a random key generated once in the data folder
    secret_key: str | None = None
    session_max_age_s: int = Field(default=14 * 24 * 3600, gt=0)
    # session cookie over HTTPS only; None: on in production, off in development
    cookie_secure: bool | None = None
    # web server limits against slow and greedy clients (see docs/deploy.md)
    http_header_timeout_s: float = Field(default=10.0, gt=0)
    http_body_timeout_s: float = Field(default=30.0, gt=0)
    http_keep_alive_s: int = Field(default=5, gt=0)
    http_limit_concurrency: int = Field(default=200, gt=0)
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024)

    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_submission_lines: int = Field(default=200_000, gt=0)
    daily_quota: int = Field(default=10, ge=0)

    login_max_failures: int = Field(default=10, gt=0)
    login_max_failures_per_address: int = Field(default=100, gt=0)
    login_window_s: int = Field(default=900, gt=0)

    # accounts: who may register, how fast, how long credentials live
    registration: Literal["open", "approval", "invite"] = "open"
    registrations_per_address: int = Field(default=5, gt=0)
    registration_window_s: int = Field(default=3600, gt=0)
    invite_lifetime_days: int = Field(default=14, gt=0, le=365)
    token_lifetime_days: int = Field(default=90, gt=0, le=3650)
    login_backoff_s: int = Field(default=30, gt=0)

    task_soft_time_limit_s: int = Field(default=300, gt=0)
    task_hard_time_limit_s: int = Field(default=330, gt=0)
    max_scoring_attempts: int = Field(default=3, gt=0)
    sweep_interval_s: float = Field(default=10.0, gt=0)
    received_grace_s: float = Field(default=5.0, ge=0)
    queued_timeout_s: float = Field(default=900.0, gt=0)
    worker_heartbeat_s: float = Field(default=5.0, gt=0)
    worker_stale_after_s: float = Field(default=15.0, gt=0)

    admin_username: str = "admin"
    admin_email: str = "admin@localhost"
    demo_size: int = Field(default=96, ge=32)
    # 64 slices: in a 48-slice slab, about 1 draw in 300 of 60 particles left one of the
    # largest with no free spot (a failed demo, and `serve` with it); none in 3,000 here
    demo_slab: int = Field(default=64, ge=8)
    demo_tomograms: int = Field(default=3, ge=2)
    demo_particles: int = Field(default=60, gt=0)
    demo_seed: int = 2019

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.secret_key in PUBLIC_SECRET_KEYS:
            raise ValueError(
                "TOMOBENCH_SECRET_KEY is a published development key that anybody can sign "
                "cookies with; set a long random value or unset it"
            )
        if self.env != "dev" and (
            self.secret_key is None or len(self.secret_key) < MIN_SECRET_KEY_CHARS
        ):
            raise ValueError(
                f"TOMOBENCH_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_KEY_CHARS} characters when TOMOBENCH_ENV is {self.env!r} "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if self.task_hard_time_limit_s <= self.task_soft_time_limit_s:
            raise ValueError(
                "TOMOBENCH_TASK_HARD_TIME_LIMIT_S must exceed TOMOBENCH_TASK_SOFT_TIME_LIMIT_S, "
                f"got {self.task_hard_time_limit_s} <= {self.task_soft_time_limit_s}"
            )
        return self

    @property
    def session_cookie_secure(self) -> bool:
        """Whether the session cookie carries `Secure`: as set, else only in production."""
        return self.env == "production" if self.cookie_secure is None else self.cookie_secure

    @property
    def resolved_data_dir(self) -> Path:
        """The data folder as an absolute path."""
        return self.data_dir.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: the configured one, else a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'tomobench.sqlite'}"

    @property
    def celery_broker_url(self) -> str:
        """The broker URL: the configured one, else Kombu's SQLAlchemy transport on a SQLite
        file in the data folder (the embedded broker: no server needed)."""
        if self.broker_url:
            return self.broker_url
        return f"sqla+sqlite:///{self.resolved_data_dir / 'broker.sqlite'}"

    @property
    def embedded_broker(self) -> bool:
        """True when the broker is Kombu's SQLAlchemy transport (no broker server)."""
        return self.celery_broker_url.startswith(("sqla+", "sqlalchemy+"))

    @property
    def storage_dir(self) -> Path:
        """Where uploaded submission files are kept, named by their SHA-256."""
        return self.resolved_data_dir / "submissions"

    @property
    def datasets_dir(self) -> Path:
        """Where dataset versions (tomograms and hidden ground truth) are kept."""
        return self.resolved_data_dir / "datasets"


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as `TOMOBENCH_*` environment variables, for child processes."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"TOMOBENCH_{name.upper()}"] = str(value)
    env["TOMOBENCH_DATA_DIR"] = str(settings.resolved_data_dir)
    return env

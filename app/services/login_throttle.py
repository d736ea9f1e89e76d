"""Slowing down password guessing: failed logins are counted per account and per address.

After `login_max_failures` failures for one username, or `login_max_failures_per_address`
from one client address, within `login_window_s` seconds, further password checks are
refused with 429 and a `Retry-After` until the window ends; a successful login clears the
account's count. Counts live in Redis when the broker is Redis (shared by every web
process), else in this process (the embedded deployment runs one web process). If Redis is
unreachable the check is skipped and logged: an outage must not lock everybody out.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Protocol

import redis
from fastapi import Request
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import User
from app.services.errors import ServiceError
from app.services.users import authenticate

log = logging.getLogger(__name__)

_creation_lock = threading.Lock()


class TooManyAttempts(ServiceError):
    """Too many failed logins for an account or from an address; `headers` has Retry-After."""

    status_code = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            "too many failed logins for this account or from this address; "
            f"try again in {retry_after_s} s"
        )
        self.headers = {"Retry-After": str(retry_after_s)}


class FailureCounter(Protocol):
    """Counts events per key within a fixed window that starts at the key's first event."""

    def count(self, key: str) -> tuple[int, int]:
        """The key's count and the seconds left in its window (0, 0 when none)."""

    def add(self, key: str) -> None:
        """Count one event for the key."""

    def clear(self, key: str) -> None:
        """Forget the key."""


class MemoryCounter:
    """A per-process counter (for the single web process of the embedded deployment)."""

    def __init__(self, window_s: int) -> None:
        self.window_s = window_s
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> tuple[int, int]:
        with self._lock:
            count, ends = self._counts.get(key, (0, 0.0))
            left = ends - time.monotonic()
            return (count, int(left) + 1) if left > 0 else (0, 0)

    def add(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._counts) > 100_000:  # drop ended windows so memory stays bounded
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            count, ends = self._counts.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + self.window_s
            self._counts[key] = (count + 1, ends)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


class RedisCounter:
    """A counter shared by every web process, in Redis keys that expire with their window."""

    def __init__(self, url: str, prefix: str, window_s: int) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = prefix
        self.window_s = window_s

    def _key(self, key: str) -> str:
        return f"{self.prefix}tomobench:login-failures:{key}"

    def count(self, key: str) -> tuple[int, int]:
        pipeline = self.client.pipeline()
        pipeline.get(self._key(key))
        pipeline.ttl(self._key(key))
        value, ttl = pipeline.execute()
        return (int(value), max(int(ttl), 1)) if value is not None else (0, 0)

    def add(self, key: str) -> None:
        name = self._key(key)
        pipeline = self.client.pipeline()
        pipeline.set(name, 0, ex=self.window_s, nx=True)
        pipeline.incr(name)
        pipeline.execute()

    def clear(self, key: str) -> None:
        self.client.delete(self._key(key))


class LoginThrottle:
    """The failure limits of one deployment, applied around the password check."""

    def __init__(self, counter: FailureCounter, per_account: int, per_address: int) -> None:
        self.counter = counter
        self.limits = {"account": per_account, "address": per_address}

    @classmethod
    def for_settings(cls, settings: Settings) -> LoginThrottle:
        """The throttle of a deployment: Redis-backed when the broker is Redis."""
        url = settings.celery_broker_url
        counter: FailureCounter
        if url.startswith(("redis://", "rediss://")):
            counter = RedisCounter(url, settings.redis_key_prefix, settings.login_window_s)
        else:
            counter = MemoryCounter(settings.login_window_s)
        return cls(counter, settings.login_max_failures, settings.login_max_failures_per_address)

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, str]:
        # hashed: any text a client sends becomes a short, safe key
        account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return {"account": f"account:{account}", "address": f"address:{address}"}

    def authenticate(self, db: Session, username: str, password: str, address: str) -> User | None:
        """`users.authenticate` unless the account or address is over its failure limit.

        Raises:
            TooManyAttempts: if the limit is reached (the password is not even checked).
        """
        keys = self._keys(username, address)
        try:
            for kind, key in keys.items():
                count, left = self.counter.count(key)
                if count >= self.limits[kind]:
                    raise TooManyAttempts(left)
        except redis.RedisError as error:
            log.warning("login throttle unavailable, not applied: %s", error)
        user = authenticate(db, username, password)
        try:
            if user is None:
                for key in keys.values():
                    self.counter.add(key)
            else:
                self.counter.clear(keys["account"])
        except redis.RedisError as error:
            log.warning("login throttle unavailable, failure not counted: %s", error)
        return user


def _app_throttle(request: Request) -> LoginThrottle:
    """The app's throttle, made on first use from its settings."""
    state = request.app.state
    with _creation_lock:
        if getattr(state, "login_throttle", None) is None:
            state.login_throttle = LoginThrottle.for_settings(state.settings)
        throttle: LoginThrottle = state.login_throttle
    return throttle


def authenticate_request(
    request: Request, db: Session, username: str, password: str
) -> User | None:
    """Check a password sent with `request`, counting failures per account and per client
    address (behind a proxy, run uvicorn with `--proxy-headers` so it sees the client).

    Raises:
        TooManyAttempts: if the account or the address is over its limit.
    """
    address = request.client.host if request.client else "unknown"
    return _app_throttle(request).authenticate(db, username, password, address)

"""Slowing down password guessing and mass registration, without letting strangers lock
anybody out.

Failed logins are counted per (username, client address) and per client address:

- a pair that reaches `login_max_failures` failures is blocked for `login_backoff_s`, and each
  further failure doubles the wait (up to `login_window_s`); its count is forgotten
  `login_window_s` after its last failure, and a successful login clears it;
- an address that reaches `login_max_failures_per_address` failures within `login_window_s`
  is blocked for every username, but only for itself.

So guessing from one address slows to a crawl, while the owner, logging in from anywhere
else, is never refused. Registrations are counted per address too: at most
`registrations_per_address` accounts per `registration_window_s`.

Counts live in Redis when the broker is Redis (shared by every web process), else in this
process (the embedded deployment runs one web process). If Redis is unreachable the check is
skipped and logged: an outage must not lock everybody out.
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
from app.services.users import AccountInactive, authenticate

log = logging.getLogger(__name__)

_creation_lock = threading.Lock()


class TooManyAttempts(ServiceError):
    """Too many failed logins for an account from this address, or from this address at all;
    `headers` has Retry-After."""

    status_code = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            "too many failed logins for this account or from this address; "
            f"try again in {retry_after_s} s"
        )
        self.headers = {"Retry-After": str(retry_after_s)}


class TooManyRegistrations(ServiceError):
    """Too many new accounts from one address; `headers` has Retry-After."""

    status_code = 429

    def __init__(self, limit: int, retry_after_s: int) -> None:
        super().__init__(
            f"too many new accounts from this address (at most {limit}); "
            f"try again in {retry_after_s} s"
        )
        self.headers = {"Retry-After": str(retry_after_s)}


class Counter(Protocol):
    """Counts events per key in windows, and blocks keys for a while."""

    def count(self, key: str) -> tuple[int, int]:
        """The key's count and the seconds left in its window (0, 0 when none)."""

    def add(self, key: str, window_s: int, *, sliding: bool) -> int:
        """Count one event for the key; the new count. A sliding window restarts with each
        event; a fixed one ends `window_s` after the first."""

    def remove(self, key: str) -> None:
        """Take back one event of the key."""

    def clear(self, key: str) -> None:
        """Forget the key and its block."""

    def block(self, key: str, seconds: int) -> None:
        """Refuse the key for `seconds`."""

    def blocked_for(self, key: str) -> int:
        """Seconds the key is still refused (0: it is not)."""


class MemoryCounter:
    """A per-process counter (for the single web process of the embedded deployment)."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._blocks: dict[str, float] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> tuple[int, int]:
        with self._lock:
            count, ends = self._counts.get(key, (0, 0.0))
            left = ends - time.monotonic()
            return (count, int(left) + 1) if left > 0 else (0, 0)

    def add(self, key: str, window_s: int, *, sliding: bool) -> int:
        now = time.monotonic()
        with self._lock:
            if len(self._counts) > 100_000:  # drop ended windows so memory stays bounded
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                self._blocks = {k: v for k, v in self._blocks.items() if v > now}
            count, ends = self._counts.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window_s
            self._counts[key] = (count + 1, now + window_s if sliding else ends)
            return count + 1

    def remove(self, key: str) -> None:
        with self._lock:
            count, ends = self._counts.get(key, (0, 0.0))
            if count > 0:
                self._counts[key] = (count - 1, ends)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._blocks.pop(key, None)

    def block(self, key: str, seconds: int) -> None:
        with self._lock:
            self._blocks[key] = time.monotonic() + seconds

    def blocked_for(self, key: str) -> int:
        with self._lock:
            left = self._blocks.get(key, 0.0) - time.monotonic()
            return int(left) + 1 if left > 0 else 0


class RedisCounter:
    """A counter shared by every web process, in Redis keys that expire with their window."""

    def __init__(self, url: str, prefix: str, namespace: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = f"{prefix}tomobench:{namespace}:"

    def count(self, key: str) -> tuple[int, int]:
        pipeline = self.client.pipeline()
        pipeline.get(self.prefix + key)
        pipeline.ttl(self.prefix + key)
        value, ttl = pipeline.execute()
        return (int(value), max(int(ttl), 1)) if value is not None else (0, 0)

    def add(self, key: str, window_s: int, *, sliding: bool) -> int:
        name = self.prefix + key
        pipeline = self.client.pipeline()
        pipeline.set(name, 0, ex=window_s, nx=True)
        pipeline.incr(name)
        if sliding:
            pipeline.expire(name, window_s)
        return int(pipeline.execute()[1])

    def remove(self, key: str) -> None:
        self.client.decr(self.prefix + key)

    def clear(self, key: str) -> None:
        self.client.delete(self.prefix + key, f"{self.prefix}block:{key}")

    def block(self, key: str, seconds: int) -> None:
        self.client.set(f"{self.prefix}block:{key}", 1, ex=seconds)

    def blocked_for(self, key: str) -> int:
        return max(int(self.client.ttl(f"{self.prefix}block:{key}")), 0)


def _counter(settings: Settings, namespace: str) -> Counter:
    url = settings.celery_broker_url
    if url.startswith(("redis://", "rediss://")):
        return RedisCounter(url, settings.redis_key_prefix, namespace)
    return MemoryCounter()


def _hashed(text: str) -> str:
    # any text a client sends becomes a short, safe key
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginThrottle:
    """The failure limits of one deployment, applied around the password check."""

    def __init__(self, counter: Counter, settings: Settings) -> None:
        self.counter = counter
        self.per_pair = settings.login_max_failures
        self.per_address = settings.login_max_failures_per_address
        self.window_s = settings.login_window_s
        self.backoff_s = settings.login_backoff_s

    @classmethod
    def for_settings(cls, settings: Settings) -> LoginThrottle:
        """The throttle of a deployment: Redis-backed when the broker is Redis."""
        return cls(_counter(settings, "login-failures"), settings)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        account = username.strip().lower()
        return f"pair:{_hashed(f'{account}|{address}')}", f"address:{_hashed(address)}"

    def _backoff(self, failures: int) -> int:
        """The wait after the `failures`-th failure of a pair: 0 below the limit, then
        `backoff_s` doubling with each further failure, at most the window."""
        if failures < self.per_pair:
            return 0
        doublings = min(failures - self.per_pair, 20)
        return int(min(self.window_s, self.backoff_s * 2**doublings))

    def check(self, username: str, address: str) -> None:
        """Refuse, before any password is checked, a pair or an address over its limit.

        Raises:
            TooManyAttempts: with the seconds to wait.
        """
        pair, from_address = self._keys(username, address)
        try:
            address_failures, left = self.counter.count(from_address)
            if address_failures >= self.per_address:
                raise TooManyAttempts(left)
            wait = self.counter.blocked_for(pair)
            if wait > 0:
                raise TooManyAttempts(wait)
        except redis.RedisError as error:
            log.warning("login throttle unavailable, not applied: %s", error)

    def record(self, username: str, address: str, *, success: bool) -> None:
        """Count a failure (blocking the pair when due), or clear the pair after a success."""
        pair, from_address = self._keys(username, address)
        try:
            if success:
                self.counter.clear(pair)
                return
            self.counter.add(from_address, self.window_s, sliding=False)
            wait = self._backoff(self.counter.add(pair, self.window_s, sliding=True))
            if wait:
                self.counter.block(pair, wait)
        except redis.RedisError as error:
            log.warning("login throttle unavailable, failure not counted: %s", error)

    def authenticate(self, db: Session, username: str, password: str, address: str) -> User | None:
        """`users.authenticate` unless the pair or the address is over its failure limit.

        Raises:
            TooManyAttempts: if a limit is reached (the password is not even checked).
            AccountInactive: for the right password of an account that is not active.
        """
        self.check(username, address)
        try:
            user = authenticate(db, username, password)
        except AccountInactive:
            self.record(username, address, success=True)
            raise
        self.record(username, address, success=user is not None)
        return user


class RegistrationThrottle:
    """At most `registrations_per_address` new accounts per address and window."""

    def __init__(self, counter: Counter, settings: Settings) -> None:
        self.counter = counter
        self.limit = settings.registrations_per_address
        self.window_s = settings.registration_window_s

    def acquire(self, address: str) -> str:
        """Reserve one registration for `address` (atomically, so concurrent requests cannot
        overrun the limit); the key to `release` if the registration fails.

        Raises:
            TooManyRegistrations: if the address has used its registrations.
        """
        key = f"address:{_hashed(address)}"
        try:
            if self.counter.add(key, self.window_s, sliding=False) > self.limit:
                self.counter.remove(key)
                raise TooManyRegistrations(self.limit, max(self.counter.count(key)[1], 1))
        except redis.RedisError as error:
            log.warning("registration throttle unavailable, not applied: %s", error)
        return key

    def release(self, key: str) -> None:
        """Give back a reservation whose registration was refused."""
        try:
            self.counter.remove(key)
        except redis.RedisError as error:
            log.warning("registration throttle unavailable: %s", error)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with
    `--proxy-headers` so that this is the client and not the proxy)."""
    return request.client.host if request.client else "unknown"


def _app_throttles(request: Request) -> tuple[LoginThrottle, RegistrationThrottle]:
    """The app's throttles, made on first use from its settings."""
    state = request.app.state
    with _creation_lock:
        if getattr(state, "login_throttle", None) is None:
            settings: Settings = state.settings
            state.login_throttle = LoginThrottle.for_settings(settings)
            state.registration_throttle = RegistrationThrottle(
                _counter(settings, "registrations"), settings
            )
    return state.login_throttle, state.registration_throttle


def authenticate_request(
    request: Request, db: Session, username: str, password: str
) -> User | None:
    """Check a password sent with `request`, counting failures per (username, address) and
    per address.

    Raises:
        TooManyAttempts: if the pair or the address is over its limit.
        AccountInactive: for the right password of an account that is not active.
    """
    return _app_throttles(request)[0].authenticate(db, username, password, client_address(request))


def registration_throttle(request: Request) -> RegistrationThrottle:
    """The app's registration throttle."""
    return _app_throttles(request)[1]

"""The key that signs session cookies: the configured one, else one generated per data folder.

A service started without `TOMOBENCH_SECRET_KEY` (development only; production refuses to
start) draws a random key on its first start and keeps it in `<data folder>/secret_key`,
readable by its owner only, so sessions survive restarts and nobody else can sign a cookie.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from app.core.config import Settings

KEY_FILE = "secret_key"
KEY_BYTES = 48


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable key; delete it to have a new one generated")
    return key


def session_secret(settings: Settings) -> str:
    """The configured secret key, else the data folder's own (created on first use, mode 0600).

    Safe when several processes start at once: the key is written to a private temporary
    file and linked into place, so every process reads the same complete key.

    Raises:
        OSError: if the data folder cannot be written.
        ValueError: if the key file is empty or truncated.
    """
    if settings.secret_key is not None:
        return settings.secret_key
    folder = settings.resolved_data_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    if path.exists():
        return _read_key(path)
    temporary = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):  # another process linked its key first
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)

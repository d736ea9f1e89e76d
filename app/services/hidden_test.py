"""The hidden test's randomness: a per-version secret that never leaves the server.

A version's public seed and simulator settings rebuild its training tomograms byte for byte
(participants may check them). Its test tomogram is simulated from a seed derived from the
version's `test_secret` with HMAC-SHA256, so the public record cannot rebuild the hidden
ground truth, while the server's own record (secret included) still rebuilds the whole
version byte for byte (`tomobench datasets rebuild`). No schema, page, file, log line or
error message carries the secret or the derived seed.
"""

from __future__ import annotations

import hashlib
import hmac

from app.models import DatasetVersion

# what a version made before the secret existed is flagged with (also frozen in 0004)
PUBLIC_SEED_TEST = (
    "its hidden test tomogram was simulated from the public seed, so anyone could rebuild "
    "the ground truth; its leaderboard is not a fair ranking. Generate a new version."
)


def hidden_test_seed(version: DatasetVersion, purpose: str = "") -> int:
    """The 256-bit seed of the version's test tomogram, derived from its secret; another
    `purpose` (the public/private split) derives an independent seed from the same secret.

    Raises:
        ValueError: if the version has no secret (it was never flushed to the database).
    """
    if not version.test_secret:
        raise ValueError(f"dataset version {version.id} has no test secret")
    key = bytes.fromhex(version.test_secret)
    message = f"tomobench hidden test of dataset version {version.id}".encode()
    if purpose:
        message += f": {purpose}".encode()
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest(), "big")

"""The disk of the upload folder full: the upload is refused cleanly (503, no row, no quota
used) and nothing half-written remains; what fits is still accepted.

The web server runs in its own mount namespace (`unshare -m`) where the submissions folder
is a 256 KiB tmpfs: writes past that fail with ENOSPC, as on a full disk. Its files are
inspected through `/proc/<pid>/root`, the server's view of the file system.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user
from tests.conftest import backend_settings
from tests.reliability.servers import WebServer, web_server
from tests.reliability.support import BACKGROUND_LINE, MISFRAMED_OK, post_upload, scoring_state

TMPFS_BYTES = 256 * 1024


def _namespace_prefix(folder: Path) -> list[str]:
    """A command prefix running the server with a tiny tmpfs mounted on `folder`."""
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-Urm"]
    mount = f'mount -t tmpfs -o size={TMPFS_BYTES} tmpfs "{folder}" && exec "$@"'
    probe = subprocess.run([*unshare, "sh", "-c", mount, "sh", "true"], capture_output=True)
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip(f"cannot mount a private tmpfs here: {probe.stderr.decode().strip()}")
    return [*unshare, "sh", "-c", mount, "sh"]


def _files_seen_by(server: WebServer, folder: Path) -> Iterator[Path]:
    assert server.process is not None
    root = Path(f"/proc/{server.process.pid}/root{folder}")
    return (path for path in root.rglob("*") if path.is_file())


def _quota_used(http: httpx.Client, headers: dict[str, str]) -> int:
    used: int = http.get("/api/v1/users/me/quota", headers=headers).json()["used"]
    return used


@pytest.mark.slow
def test_full_disk_refuses_the_upload_cleanly(tmp_path: Path) -> None:
    with ExitStack() as stack:
        settings: Settings = backend_settings(stack, "production", tmp_path / "data")
        install_dataset(settings)
        headers = new_user(settings)
        settings.storage_dir.mkdir(parents=True)
        prefix = _namespace_prefix(settings.storage_dir)
        server = stack.enter_context(web_server(settings, prefix=prefix))
        http = stack.enter_context(httpx.Client(base_url=server.url, timeout=60))

        too_big = GOOD_SUBMISSION + BACKGROUND_LINE * (TMPFS_BYTES // len(BACKGROUND_LINE))
        refused = post_upload(http, headers, too_big, **MISFRAMED_OK)
        assert refused.status_code == 503, refused.text
        assert "storage is full or failing" in refused.json()["detail"]
        assert "no quota was used" in refused.json()["detail"]
        assert list(_files_seen_by(server, settings.storage_dir)) == []  # not even a part
        assert scoring_state(settings) == {}
        assert _quota_used(http, headers) == 0

        # a file that fits is accepted, even when what is kept beside it does not fit
        fits = GOOD_SUBMISSION + BACKGROUND_LINE * 6000
        for content in (fits, GOOD_SUBMISSION):
            accepted = post_upload(http, headers, content, **MISFRAMED_OK)
            assert accepted.status_code == 201, accepted.text
        assert _quota_used(http, headers) == 2

        stored = list(_files_seen_by(server, settings.storage_dir))
        uploads = [path for path in stored if path.parent.parent.name == "submissions"]
        assert sorted(path.read_bytes() for path in uploads) == sorted([fits, GOOD_SUBMISSION])
        for path in uploads:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
        assert not [path for path in stored if path.name.startswith("tmp")]  # no leftovers

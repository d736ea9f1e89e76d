"""The hidden test ground truth is unreachable over HTTP: not by its own name, not by `..`,
encoded or doubly encoded slashes and dots, backslashes, NUL bytes or absolute paths, and
not through a symlink planted in a public slot. Requests go over a bare socket to a real
server, so every target reaches it exactly as written."""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path

import pytest

from app.core.config import Settings
from tests.app.datasets_support import HIDDEN_FILES, generate_small
from tests.conftest import backend_settings
from tests.reliability.rawhttp import RawResponse, request
from tests.reliability.servers import WebServer, web_server

TEST, TRAIN = "model_1", "model_0"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, WebServer, int]]:
    with ExitStack() as stack:
        data = tmp_path_factory.mktemp("hidden") / "data"
        settings = backend_settings(stack, "production", data)
        version_id = generate_small(settings, activate=True)
        yield settings, stack.enter_context(web_server(settings)), version_id


def _tricks(version_id: int, data_dir: Path) -> list[str]:
    api = f"/api/v1/datasets/{version_id}"
    secret = f"{TEST}/particle_locations.txt"
    encoded = secret.replace("/", "%2F")
    climb = "..%2F" * 12 + str(data_dir).lstrip("/").replace("/", "%2F")
    targets = [f"{api}/files/{TEST}/{name}" for name in HIDDEN_FILES]
    targets += [
        f"{api}/files/{TRAIN}/../{secret}",
        f"{api}/files/{TRAIN}/..%2F{encoded}",
        f"{api}/files/{TRAIN}/%2e%2e%2f{encoded}",
        f"{api}/files/{TRAIN}/%252e%252e%252f{TEST}%252fparticle_locations.txt",
        f"{api}/files/..%2F{TEST}/particle_locations.txt",
        f"{api}/files/{TEST}/..%5C{TEST}%5Cparticle_locations.txt",
        f"{api}/files/{TEST}/%70article_locations.txt",
        f"{api}/files/{TEST}/particle_locations.txt%00.mrc",
        f"{api}/files/{TEST}/particle_locations.txt%2500",
        f"{api}/files/{TEST}/.%2Fparticle_locations.txt",
        f"{api}/files/{TEST}%2F./particle_locations.txt",
        f"{api}/archives/..%2F{TEST}.tar",
        f"{api}/archives/{TEST}%2F..%2F{TEST}.tar",
        f"/static/{climb}%2Fdatasets%2Fv{version_id}%2F{encoded}",
        f"/static/../../../../../../../..{data_dir}/datasets/v{version_id}/{secret}",
        f"/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e{data_dir}/datasets",
        f"/datasets/{version_id}/..%2F..%2F{encoded}",
        f"/{climb}%2Fdatasets%2Fv{version_id}%2F{encoded}",
        f"{data_dir}/datasets/v{version_id}/{secret}",
        f"//{data_dir}/datasets/v{version_id}/{secret}",
    ]
    return targets


def _secrets(settings: Settings, version_id: int) -> tuple[bytes, set[str]]:
    folder = settings.datasets_dir / f"v{version_id}" / TEST
    hidden = [folder / name for name in HIDDEN_FILES if (folder / name).exists()]
    assert (folder / "particle_locations.txt").exists()
    hashes = {hashlib.sha256(path.read_bytes()).hexdigest() for path in hidden}
    return (folder / "particle_locations.txt").read_bytes(), hashes


def _assert_nothing_hidden(
    response: RawResponse, truth: bytes, hashes: set[str], what: str
) -> None:
    assert truth.strip() not in response.body, f"{what} served the hidden particle list"
    assert hashlib.sha256(response.body).hexdigest() not in hashes, f"{what} served a mask"
    if response.body.startswith(b"model_") or response.headers.get("content-type", "").endswith(
        "x-tar"
    ):
        with tarfile.open(fileobj=BytesIO(response.body)) as archive:
            names = {Path(member.name).name for member in archive.getmembers()}
        assert not names & set(HIDDEN_FILES), f"{what} archived {names & set(HIDDEN_FILES)}"


def test_path_tricks_never_reach_the_hidden_ground_truth(
    served: tuple[Settings, WebServer, int],
) -> None:
    settings, server, version_id = served
    truth, hashes = _secrets(settings, version_id)
    for target in _tricks(version_id, settings.resolved_data_dir):
        response = request(server.port, "GET", target)
        _assert_nothing_hidden(response, truth, hashes, target)
        assert response.status in (400, 404, 422), f"{target}: {response.status}"  # no 500
    # the test tomogram's public archive holds none of its ground truth
    archive = request(server.port, "GET", f"/api/v1/datasets/{version_id}/archives/{TEST}.tar")
    assert archive.status == 200
    _assert_nothing_hidden(archive, truth, hashes, "the test tomogram's archive")


def test_a_symlink_in_a_public_slot_does_not_serve_the_hidden_file(
    served: tuple[Settings, WebServer, int],
) -> None:
    settings, server, version_id = served
    truth, hashes = _secrets(settings, version_id)
    folder = settings.datasets_dir / f"v{version_id}"
    listed = request(server.port, "GET", f"/api/v1/datasets/{version_id}/files")
    assert listed.status == 200
    # the training tomogram's public particle list replaced by a link to the hidden one,
    # padded so that even its size matches what the manifest recorded
    public = folder / TRAIN / "particle_locations.txt"
    recorded_size = public.stat().st_size
    planted = folder / TEST / "planted.txt"
    planted.write_bytes(truth[:recorded_size].ljust(recorded_size, b"\n"))
    public.unlink()
    public.symlink_to(planted)
    for target in (
        f"/api/v1/datasets/{version_id}/files/{TRAIN}/particle_locations.txt",
        f"/api/v1/datasets/{version_id}/archives/{TRAIN}.tar",
    ):
        response = request(server.port, "GET", target)
        head = truth[: min(len(truth), recorded_size)].strip()
        assert head not in response.body, f"{target} followed the symlink: {response.status}"
        _assert_nothing_hidden(response, truth, hashes, target)

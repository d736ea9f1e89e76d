"""Downloads of a real simulated dataset: listing, checksums, range requests, archives, and
the hidden test ground truth out of reach by every route (on both backends)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.app.datasets_support import (
    HIDDEN_FILES,
    PUBLIC_TEST_FILES,
    folder_of,
    generate_small,
    sha256_of,
)
from tests.conftest import BACKENDS, backend_settings


@pytest.fixture(scope="module", params=BACKENDS)
def released(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Settings, int]]:
    """A client of an app with one small generated version (read-only for these tests)."""
    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(f"downloads-{request.param}")
        settings = backend_settings(stack, request.param, data_dir)
        version_id = generate_small(settings, activate=True)
        client = stack.enter_context(TestClient(create_app(settings)))
        yield client, settings, version_id


def _listing(client: TestClient, version_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/datasets/{version_id}/files")
    assert response.status_code == 200, response.text
    listing: dict[str, Any] = response.json()
    return listing


def test_listing_offers_training_ground_truth_and_only_the_public_test_files(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, settings, version_id = released
    listing = _listing(client, version_id)
    folder = folder_of(settings, version_id)
    manifest = json.loads((folder / "dataset.json").read_text())
    train = manifest["tomograms"][0]
    by_tomogram: dict[str, set[str]] = {}
    for entry in listing["data"]:
        by_tomogram.setdefault(entry["tomogram"], set()).add(entry["name"])
    assert by_tomogram == {"model_0": set(train["files"]), "model_1": PUBLIC_TEST_FILES}
    assert set(HIDDEN_FILES) <= set(train["files"])  # training ground truth is offered
    assert listing["count"] == len(listing["data"]) == len(train["files"]) + 4
    for entry in listing["data"]:
        if entry["name"] == "metadata.json" and entry["role"] == "test":
            continue  # the stripped copy: checked below
        path = folder / entry["tomogram"] / entry["name"]
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == sha256_of(path)
        url = f"/api/v1/datasets/{version_id}/files/{entry['tomogram']}/{entry['name']}"
        assert entry["url"] == url
    assert [(a["tomogram"], a["role"]) for a in listing["archives"]] == [
        ("model_0", "train"),
        ("model_1", "test"),
    ]


def test_a_downloaded_training_tomogram_matches_its_checksum(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, settings, version_id = released
    listing = _listing(client, version_id)
    entry = next(e for e in listing["data"] if e["name"] == "reconstruction.mrc")
    response = client.get(entry["url"])
    assert response.status_code == 200
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{entry["sha256"]}"'
    assert response.headers["content-length"] == str(entry["bytes"])
    assert "v1_model_0_reconstruction.mrc" in response.headers["content-disposition"]
    on_disk = folder_of(settings, version_id) / "model_0" / "reconstruction.mrc"
    assert response.content == on_disk.read_bytes()
    assert sha256_of(on_disk) == entry["sha256"]


def test_range_requests_resume_and_split_downloads(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, settings, version_id = released
    url = f"/api/v1/datasets/{version_id}/files/model_0/projections.mrc"
    whole = (folder_of(settings, version_id) / "model_0" / "projections.mrc").read_bytes()
    size = len(whole)

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"

    resumed = client.get(url, headers={"Range": f"bytes={size - 1000}-"})
    assert resumed.status_code == 206
    assert resumed.content == whole[-1000:]

    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == whole[-10:]

    etag = client.head(url).headers["etag"]
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == whole

    beyond = client.get(url, headers={"Range": f"bytes={size}-{size + 10}"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"


def test_head_gives_size_and_checksum_without_the_body(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, _, version_id = released
    entry = _listing(client, version_id)["data"][0]
    response = client.head(entry["url"])
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(entry["bytes"])
    assert response.headers["etag"] == f'"{entry["sha256"]}"'


def _archive(client: TestClient, url: str) -> tuple[tarfile.TarFile, bytes]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-tar"
    assert response.headers["content-length"] == str(len(response.content))
    return tarfile.open(fileobj=io.BytesIO(response.content)), response.content


def test_each_tomogram_comes_as_one_archive_with_its_checksums(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, _, version_id = released
    listing = _listing(client, version_id)
    for archive in listing["archives"]:
        members = {e["name"]: e for e in listing["data"] if e["tomogram"] == archive["tomogram"]}
        tar, raw = _archive(client, archive["url"])
        assert len(raw) == archive["bytes"]
        assert len(raw) % tarfile.RECORDSIZE == 0
        folder = f"v1_{archive['tomogram']}"
        assert tar.getnames() == [f"{folder}/{name}" for name in members] + [f"{folder}/SHA256SUMS"]
        for name, entry in members.items():
            extracted = tar.extractfile(f"{folder}/{name}")
            assert extracted is not None
            content = extracted.read()
            assert len(content) == entry["bytes"]
            assert _sha256(content) == entry["sha256"]
        sums = tar.extractfile(f"{folder}/SHA256SUMS")
        assert sums is not None
        assert sums.read().decode() == "".join(f"{e['sha256']}  {n}\n" for n, e in members.items())


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_the_test_metadata_keeps_the_acquisition_and_drops_the_particles(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, settings, version_id = released
    original = json.loads(
        (folder_of(settings, version_id) / "model_1" / "metadata.json").read_text()
    )
    response = client.get(f"/api/v1/datasets/{version_id}/files/model_1/metadata.json")
    public = response.json()
    entry = next(
        e
        for e in _listing(client, version_id)["data"]
        if e["url"].endswith("model_1/metadata.json")
    )
    assert _sha256(response.content) == entry["sha256"]
    assert len(response.content) == entry["bytes"]
    assert {"particles", "class_counts"} <= set(original)
    assert set(public) == {
        "simulator_version", "name", "index", "role", "seed", "parameters", "slab_z_range",
        "tilt_angles_deg", "defocus_um", "water_potential_volts",
        "protein_interior_potential_volts", "files",
    }  # fmt: skip
    for key in set(public) - {"files"}:
        assert public[key] == original[key]
    assert set(public["files"]) == {"projections.mrc", "reconstruction.mrc", "tilt_angles.txt"}
    for name, record in public["files"].items():
        assert record == original["files"][name]


def _hidden_traces(settings: Settings, version_id: int) -> list[str]:
    """Strings that would betray the hidden ground truth: its files' checksums and its
    first particle line."""
    folder = folder_of(settings, version_id) / "model_1"
    traces = [sha256_of(folder / name) for name in HIDDEN_FILES]
    traces.append(sha256_of(folder / "metadata.json"))  # the unstripped original
    traces.append((folder / "particle_locations.txt").read_text().splitlines()[0])
    return traces


def test_the_hidden_ground_truth_has_no_route(released: tuple[TestClient, Settings, int]) -> None:
    client, settings, version_id = released
    base = f"/api/v1/datasets/{version_id}"
    attempts = [f"{base}/files/model_1/{name}" for name in HIDDEN_FILES] + [
        f"{base}/files/model_1/..%2Fmodel_1%2Fparticle_locations.txt",
        f"{base}/files/model_0/..%2Fmodel_1%2Foccupancy_mask.mrc",
        f"{base}/files/model_1/%2E%2E%2Fmodel_1%2Fparticle_locations.txt",
        f"{base}/files/..%2Fv1%2Fmodel_1/particle_locations.txt",
        f"{base}/files/model_1%2F..%2Fmodel_1/class_mask.mrc",
        f"{base}/files/public/metadata.json",
        f"{base}/files/model_1/dataset.json",
        f"{base}/files/./dataset.json",
        f"{base}/archives/..%2Fmodel_1.tar",
        f"/api/v1/datasets/{version_id}/files/model_1/particle_locations.txt?raw=1",
        "/static/../data/datasets/v1/model_1/particle_locations.txt",
        f"/datasets/{version_id}/model_1/particle_locations.txt",
    ]
    traces = _hidden_traces(settings, version_id)
    for url in attempts:
        response = client.get(url)
        assert response.status_code in (404, 422), (url, response.status_code)
        assert not [trace for trace in traces if trace in response.text], url

    tar, raw = _archive(client, f"{base}/archives/model_1.tar")
    assert {name.rsplit("/", 1)[1] for name in tar.getnames()} == PUBLIC_TEST_FILES | {"SHA256SUMS"}
    answers = [
        client.get(f"{base}/files").text,
        client.get(base).text,
        client.get("/api/v1/datasets").text,
        client.get(f"/datasets/{version_id}").text,
        client.get("/datasets").text,
        client.get(f"{base}/files/model_1/metadata.json").text,
        raw.decode("latin-1"),
    ]
    for trace in traces:
        for answer in answers:
            assert trace not in answer


def test_unknown_versions_tomograms_and_files_are_404(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, _, version_id = released
    assert client.get("/api/v1/datasets/999/files").status_code == 404
    assert client.get(f"/api/v1/datasets/{version_id}/files/model_7/reconstruction.mrc").json() == {
        "detail": "dataset version 1 has no tomogram 'model_7' to download"
    }
    missing = client.get(f"/api/v1/datasets/{version_id}/files/model_0/nothing.mrc")
    assert missing.json() == {
        "detail": "dataset version 1 has no file model_0/nothing.mrc to download"
    }
    assert client.get(f"/api/v1/datasets/{version_id}/archives/model_7.tar").status_code == 404
    assert client.get("/api/v1/datasets/abc").status_code == 422

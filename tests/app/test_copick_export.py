"""A dataset version as a copick project: opened with the real `copick` library (PyPI), its
tomograms and training picks read back; the hidden test's particles never in it."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import starfile
from scipy.spatial.transform import Rotation
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.services.copick_library import load_copick
from app.services.copick_project import export_copick_project
from evaluation import CLASSES, load_ground_truth, parse_submission, score
from tests.app.datasets_support import folder_of, generate_small
from tests.conftest import backend_settings


@pytest.fixture(scope="module")
def released(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Settings, int]]:
    """A small generated version on the embedded backend."""
    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path_factory.mktemp("copick"))
        version_id = generate_small(settings, activate=True)
        yield stack.enter_context(TestClient(create_app(settings))), settings, version_id


def dataset_roles(folder: Path) -> dict[str, str]:
    manifest = json.loads((folder / "dataset.json").read_text())
    return {t["name"]: t["role"] for t in manifest["tomograms"]}


def test_project_opens_with_copick_and_gives_back_tomograms_and_picks(
    released: tuple[TestClient, Settings, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copick = load_copick()

    _, settings, version_id = released
    dataset = folder_of(settings, version_id)
    roles = dataset_roles(dataset)
    train = next(name for name, role in roles.items() if role == "train")
    test = next(name for name, role in roles.items() if role == "test")
    project = tmp_path / "project"
    export_copick_project(dataset, project)
    monkeypatch.chdir(project)  # the overlay root is relative to the project
    root = copick.from_file("copick_config.json")
    objects = {o.name: o for o in root.pickable_objects}
    assert list(objects) == list(CLASSES)
    assert objects["4b4t"].radius == pytest.approx(150.0)  # 15 voxels of 10 Å
    assert objects["4b4t"].pdb_id == "4B4T"
    assert objects["1bxn"].label == 1

    run = root.get_run(train)
    spacing = run.get_voxel_spacing(10.0)
    tomogram = spacing.get_tomograms("reconstruction")[0]
    with mrcfile.open(dataset / train / "reconstruction.mrc") as mrc:
        assert np.array_equal(tomogram.numpy(), mrc.data)
    rows = [
        line.split()
        for line in (dataset / train / "particle_locations.txt").read_text().splitlines()
    ]
    read_back = []
    for picks in run.get_picks(user_id="tomobench"):
        positions, transforms = picks.numpy()
        for position, transform in zip(positions, transforms, strict=True):
            read_back.append((picks.pickable_object_name, position / 10.0, transform[:3, :3]))
    assert len(read_back) == len(rows)
    for name, position, matrix in read_back:
        row = next(
            r for r in rows if r[0] == name and np.allclose([float(v) for v in r[1:4]], position)
        )
        expected = Rotation.from_euler(
            "ZXZ", [float(v) for v in row[4:7]], degrees=True
        ).as_matrix()
        assert np.allclose(matrix, expected, atol=1e-6)
    masks = run.get_segmentations(user_id="tomobench")
    assert len(masks) == 1
    with mrcfile.open(dataset / train / "class_mask.mrc") as mrc:
        assert np.array_equal(masks[0].numpy(), mrc.data)

    hidden = root.get_run(test)
    assert hidden.get_picks() == []
    assert hidden.get_segmentations() == []
    assert hidden.get_voxel_spacing(10.0).get_tomograms("reconstruction")
    tables = starfile.read(project / "tomograms.star", always_dict=True)
    assert sorted(next(iter(tables.values()))["rlnTomoName"]) == sorted(roles)
    assert (project / "tilt_series" / f"{test}.tlt").read_text().split() == [
        f"{float(a):.2f}" for a in (dataset / test / "tilt_angles.txt").read_text().split()
    ]


def test_copick_picks_of_the_project_score_f1_one(
    released: tuple[TestClient, Settings, int], tmp_path: Path
) -> None:
    """The training picks, as copick wrote them, are a perfect submission of that tomogram."""
    _, settings, version_id = released
    dataset = folder_of(settings, version_id)
    train = next(n for n, r in dataset_roles(dataset).items() if r == "train")
    project = tmp_path / "project"
    export_copick_project(dataset, project)
    documents = [
        json.loads(path.read_text())
        for path in sorted(
            (project / "overlay" / "ExperimentRuns" / train / "Picks").glob("*.json")
        )
    ]
    truth = load_ground_truth(dataset / train)
    submission = parse_submission(json.dumps(documents), frame=None, pixel_size=10.0)
    assert submission.format == "copick"
    assert score(truth, submission, bootstrap=0).localization.f1 == 1.0


def test_the_copick_archive_is_offered_and_holds_no_hidden_truth(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, settings, version_id = released
    response = client.get(f"/api/v1/datasets/{version_id}/copick.tar")
    assert response.status_code == 200, response.text
    assert response.headers["content-length"] == str(len(response.content))
    with tarfile.open(fileobj=io.BytesIO(response.content)) as tar:
        names = tar.getnames()
    folder = names[0].split("/")[0]
    assert f"{folder}/copick_config.json" in names
    assert f"{folder}/tomograms.star" in names
    test = next(n for n, r in dataset_roles(folder_of(settings, version_id)).items() if r == "test")
    assert not [n for n in names if f"/{test}/Picks" in n or f"/{test}/Segmentations" in n]
    again = client.get(f"/api/v1/datasets/{version_id}/copick.tar")
    assert again.content == response.content  # built once, then served as kept


def test_the_version_page_offers_the_copick_project(
    released: tuple[TestClient, Settings, int],
) -> None:
    client, _, version_id = released
    page = client.get(f"/datasets/{version_id}")
    assert page.status_code == 200
    assert f'href="/api/v1/datasets/{version_id}/copick.tar"' in page.text
    assert "copick project" in page.text

"""`tomobench datasets import-copick`: a copick project (here one exported by tomobench and
read by the real `copick` library) becomes a dataset version whose hidden test scores."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.db import session_factory
from app.models import DatasetVersion
from app.services.copick_library import load_copick
from app.services.copick_project import export_copick_project
from app.services.datasets import ground_truth_folder
from evaluation import load_ground_truth, parse_submission, score
from tests.app.datasets_support import folder_of, generate_small
from tests.conftest import backend_settings


def test_an_exported_project_imports_as_a_version_that_scores(tmp_path: Path) -> None:
    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path / "data")
        source = folder_of(settings, generate_small(settings))
        project = tmp_path / "project"
        export_copick_project(source, project)
        roles = {
            t["name"]: t["role"]
            for t in json.loads((source / "dataset.json").read_text())["tomograms"]
        }
        test = next(name for name, role in roles.items() if role == "test")
        result = CliRunner().invoke(
            main,
            [
                "datasets",
                "import-copick",
                str(project),
                "--test",
                "model_0",
                "--name",
                "real-1",
                "--activate",
                "--data-dir",
                str(settings.resolved_data_dir),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "dataset version real-1" in result.output
        with session_factory(settings.sqlalchemy_url)() as db:
            version = db.query(DatasetVersion).filter_by(name="real-1").one()
            assert version.is_active
            assert version.test_tomogram == "model_0"
            truth = load_ground_truth(ground_truth_folder(settings, version))
        assert truth.voxel_size == pytest.approx(10.0)
        # the training tomogram of the source, picked perfectly, scores F1 1 as the new test
        picks = (source / "model_0" / "particle_locations.txt").read_text()
        document = score(truth, parse_submission(picks), bootstrap=0).to_dict()
        assert document["localization"]["f1"] == 1.0
        assert truth.n_particles == len(picks.splitlines())
        # the source's hidden test had no picks in the project: it could not be a test
        refused = CliRunner().invoke(
            main,
            [
                "datasets",
                "import-copick",
                str(project),
                "--test",
                test,
                "--data-dir",
                str(settings.resolved_data_dir),
            ],
        )
        assert refused.exit_code == 1
        assert f"run {test!r} has no picks of a particle object" in refused.output


def test_objects_that_are_not_classes_are_refused_by_the_native_profile(tmp_path: Path) -> None:
    copick = load_copick()

    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path / "data")
        config = tmp_path / "czii" / "copick_config.json"
        config.parent.mkdir()
        config.write_text(
            json.dumps(
                {
                    "config_type": "filesystem",
                    "name": "czii",
                    "pickable_objects": [
                        {"name": "apo-ferritin", "is_particle": True, "label": 1, "radius": 60.0}
                    ],
                    "overlay_root": "local://" + str(tmp_path / "czii" / "overlay"),
                }
            )
        )
        copick.from_file(str(config)).new_run("TS_5_4")

        def imported(*options: str) -> Result:
            arguments = ["datasets", "import-copick", str(config), *options]
            return CliRunner().invoke(main, [*arguments, "--data-dir", str(data_dir)])

        data_dir = settings.resolved_data_dir
        result = imported("--test", "TS_5_4")
        assert result.exit_code == 1
        assert "run 'TS_5_4' has no picks of a particle object" in result.output
        native = imported("--test", "TS_5_4", "--profile", "native")
        assert native.exit_code == 1
        assert "objects apo-ferritin are not classes of the native profile" in native.output
        assert "import the project with the czii profile" in native.output
        two = imported("--test", "a", "--test", "a")
        assert "is named twice as a test run" in two.output
        with session_factory(settings.sqlalchemy_url)() as db:
            states = {v.status for v in db.query(DatasetVersion).all()}
        assert states == {"failed"}  # the refused imports left no ready version behind


def test_several_test_runs_make_a_test_of_several_tomograms(tmp_path: Path) -> None:
    from app.services.scoring import hidden_test_for
    from evaluation.scoring import score_tomograms

    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path / "data")
        source = folder_of(settings, generate_small(settings, tomograms=3))
        project = tmp_path / "project"
        export_copick_project(source, project)  # model_0 and model_1 carry picks
        arguments = ["datasets", "import-copick", str(project), "--test", "model_1"]
        arguments += ["--test", "model_0", "--name", "real-2"]
        arguments += ["--data-dir", str(settings.resolved_data_dir)]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, result.output
        assert "model_0 (test)" in result.output
        assert "model_1 (test)" in result.output
        with session_factory(settings.sqlalchemy_url)() as db:
            version = db.query(DatasetVersion).filter_by(name="real-2").one()
            assert version.test_tomograms == ["model_1", "model_0"]  # in the order given
            assert version.test_tomogram == "model_1"
            hidden = hidden_test_for(settings, version)
        # each run's source picks, named by run: the whole test found
        rows = ["class,x,y,z,tomogram"]
        for run in ("model_0", "model_1"):
            for line in (source / run / "particle_locations.txt").read_text().splitlines():
                name, x, y, z = line.split()[:4]
                rows.append(f"{name},{x},{y},{z},{run}")
        picks = parse_submission("\n".join(rows) + "\n", tomograms=hidden.names)
        document = score_tomograms(hidden, picks, bootstrap=0).to_dict()
        assert document["localization"]["f1"] == 1.0
        assert set(document["per_tomogram"]) == {"model_0", "model_1"}


def test_admins_import_through_the_api(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from app.main import create_app
    from app.models import Role
    from tests.app.support import new_user

    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path / "data")
        project = tmp_path / "project"
        export_copick_project(folder_of(settings, generate_small(settings)), project)
        client = stack.enter_context(TestClient(create_app(settings)))
        body = {"project": str(project), "test": "model_0", "name": "real-api"}
        participant = new_user(settings)
        refused = client.post(
            "/api/v1/admin/datasets/import-copick", json=body, headers=participant
        )
        assert refused.status_code == 403
        admin = new_user(settings, Role.ADMIN)
        response = client.post("/api/v1/admin/datasets/import-copick", json=body, headers=admin)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "ready"
        assert response.json()["test_tomogram"] == "model_0"
        missing = client.post(
            "/api/v1/admin/datasets/import-copick",
            json={**body, "name": "real-api-2", "test": "TS_404"},
            headers=admin,
        )
        assert missing.status_code == 422
        assert "no run 'TS_404' in the project" in missing.json()["detail"]
        listed = client.post(
            "/api/v1/admin/datasets/import-copick",
            json={**body, "name": "real-api-3", "test": ["model_0"]},
            headers=admin,
        )
        assert listed.status_code == 201, listed.text
        assert listed.json()["test_tomograms"] == ["model_0"]
        assert listed.json()["profile"] == "native"
        twice = client.post(
            "/api/v1/admin/datasets/import-copick",
            json={**body, "name": "real-api-4", "test": "model_0, model_0"},
            headers=admin,
        )
        assert twice.status_code == 422
        assert "run 'model_0' is named twice" in twice.json()["detail"]


def test_admins_import_from_the_admin_page(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from app.main import create_app
    from app.models import Role
    from tests.app.datasets_support import browser_login
    from tests.app.pages_support import csrf_from

    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path / "data")
        project = tmp_path / "project"
        export_copick_project(folder_of(settings, generate_small(settings)), project)
        client = stack.enter_context(TestClient(create_app(settings)))
        browser_login(client, settings, Role.ADMIN)
        page = client.get("/admin/datasets")
        assert 'id="import-copick"' in page.text
        fields = {"project": str(project), "test": "model_0", "name": "real-page"}
        response = client.post(
            "/admin/datasets/import-copick",
            data={"csrf_token": csrf_from(client, "/admin/datasets"), **fields},
            follow_redirects=True,
        )
        assert (
            "Dataset version real-page imported from copick: 1 tomogram(s), scored with the "
            "native profile." in response.text
        )
        bad = client.post(
            "/admin/datasets/import-copick",
            data={
                "csrf_token": csrf_from(client, "/admin/datasets"),
                **fields,
                "name": "x",
                "test": "nope",
            },
            follow_redirects=True,
        )
        assert "no run &#39;nope&#39; in the project" in bad.text

"""A real-data track: a copick project of CZII objects (built with the real `copick`
library) imported with the czii profile, uploads in Kaggle CSV and copick picks scored by
the service exactly as `evaluation.czii` scores them, misframed files refused for free."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import DatasetVersion, Result, Role, Submission
from app.queues.celery_app import create_celery_app
from app.queues.routing import SCORE_SUBMISSION
from app.services.copick_import import import_copick_version
from app.services.copick_library import load_copick
from app.services.scoring import hidden_test_for, split_for
from evaluation.czii import CziiParameters, CziiPoints, CziiSplit, czii_score
from tests.app.datasets_support import browser_login
from tests.app.support import new_user, upload
from tests.app.test_phase_report import pdflatex
from tests.app.test_phases import create_phase
from tests.conftest import backend_settings

VOXEL = 10.0  # Å
SHAPE = (24, 40, 48)  # z, y, x voxels: 480 × 400 × 240 Å
OBJECTS = {"apo-ferritin": 60.0, "ribosome": 150.0, "beta-amylase": 65.0}
RUNS = ("TS_0", "TS_1", "TS_2")  # TS_0 for training, TS_1 and TS_2 the hidden test
Picks = dict[str, dict[str, np.ndarray]]  # run -> object -> centres (x, y, z Å)
Track = tuple[Settings, Picks, int]  # settings with the track active, its picks, its id


def _points(seed: int) -> dict[str, np.ndarray]:
    """Per object, a few centres (x, y, z Å) inside the tomogram, 120 Å apart or more."""
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    found: dict[str, list[np.ndarray]] = {name: [] for name in OBJECTS}
    extent = np.array(SHAPE[::-1]) * VOXEL
    while sum(len(v) for v in found.values()) < 12:
        centre = rng.uniform(40, extent - 40)
        if all(np.linalg.norm(centre - other) >= 120 for other in chosen):
            chosen.append(centre)
            found[list(OBJECTS)[len(chosen) % len(OBJECTS)]].append(centre)
    return {name: np.array(centres) for name, centres in found.items()}


def _project(root: Path) -> tuple[Path, Picks]:
    """A copick project of three runs with tomograms and picks; its config and the picks."""
    copick = load_copick()
    config = root / "copick_config.json"
    objects = [
        {"name": name, "is_particle": True, "label": i + 1, "radius": radius}
        for i, (name, radius) in enumerate(OBJECTS.items())
    ]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        json.dumps(
            {
                "config_type": "filesystem",
                "name": "czii-like",
                "pickable_objects": objects,
                "overlay_root": "local://" + str(root / "overlay"),
                "overlay_fs_args": {"auto_mkdir": True},
            }
        )
    )
    project = copick.from_file(str(config))
    picks: Picks = {}
    for seed, name in enumerate(RUNS):
        run = project.new_run(name)
        volume = np.random.default_rng(seed).normal(size=SHAPE).astype(np.float32)
        run.new_voxel_spacing(VOXEL).new_tomogram("wbp").from_numpy(volume, levels=1)
        picks[name] = _points(seed)
        for obj, centres in picks[name].items():
            transforms = np.repeat(np.eye(4)[None], len(centres), axis=0)
            run.new_picks(obj, "0", "curation").from_numpy(centres, transforms)
    return config, picks


def _kaggle(picks: Picks, runs: tuple[str, ...], scale: float = 1.0) -> bytes:
    rows = ["id,experiment,particle_type,x,y,z"]
    for run in runs:
        for obj, centres in picks[run].items():
            for x, y, z in centres * scale:
                rows.append(f"{len(rows) - 1},{run},{obj},{x:.2f},{y:.2f},{z:.2f}")
    return ("\n".join(rows) + "\n").encode()


def _as_points(picks: Picks, runs: tuple[str, ...]) -> CziiPoints:
    experiments, types, coords = [], [], []
    for run in runs:
        for obj, centres in picks[run].items():
            for centre in centres:
                experiments.append(run)
                types.append(obj)
                coords.append(np.round(centre, 2))
    return CziiPoints(experiments, types, np.array(coords), list(range(2, len(types) + 2)))


@pytest.fixture(params=["embedded", "production"])
def track(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Track]:
    """Settings with the imported track active, its picks, and the version's id."""
    with ExitStack() as stack:
        settings = backend_settings(stack, request.param, tmp_path / "data")
        config, picks = _project(tmp_path / "project")
        with session_factory(settings.sqlalchemy_url)() as db:
            version, runs = import_copick_version(
                db, settings, config, ["TS_1", "TS_2"], name="czii-real", activate=True
            )
            assert version.profile == "czii"
            assert [(r.name, r.role) for r in runs] == [
                ("TS_0", "train"),
                ("TS_1", "test"),
                ("TS_2", "test"),
            ]
            version_id = version.id
        yield settings, picks, version_id


def _score(settings: Settings, submission_id: int) -> dict[str, object]:
    celery = create_celery_app(settings)
    import workers.tasks.evaluation  # noqa: F401  (registers the shared tasks)

    celery.tasks[SCORE_SUBMISSION].apply(args=[submission_id])
    with session_factory(settings.sqlalchemy_url)() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        assert submission.status == "scored", submission.error
        result = db.query(Result).filter_by(submission_id=submission_id).one()
        return {"whole": result.metrics, "public": result.metrics_public}


def test_an_upload_is_scored_as_the_czii_metric_scores_it(
    track: Track,
) -> None:
    settings, picks, version_id = track
    with TestClient(create_app(settings)) as client:
        headers = new_user(settings)
        # every reference of TS_1, half of TS_2's, and a false pick
        partial = {
            obj: centres[: max(1, len(centres) // 2)] for obj, centres in picks["TS_2"].items()
        }
        sent = {"TS_1": picks["TS_1"], "TS_2": partial}
        body = _kaggle(sent, ("TS_1", "TS_2")) + b"99,TS_2,ribosome,200.00,200.00,120.00\n"
        response = upload(client, headers, body, filename="submission.csv")
        assert response.status_code == 201, response.text
        documents = _score(settings, response.json()["id"])
        whole = documents["whole"]
        assert isinstance(whole, dict)
        # the same file scored by the library against the same references
        solution = _as_points(picks, ("TS_1", "TS_2"))
        submitted = _as_points(sent, ("TS_1", "TS_2"))
        submitted = CziiPoints(
            [*submitted.experiments, "TS_2"],
            [*submitted.types, "ribosome"],
            np.vstack([submitted.coords, [[200.0, 200.0, 120.0]]]),
            [*submitted.lines, 0],
        )
        parameters = CziiParameters(
            radii=dict(OBJECTS), weights={"apo-ferritin": 1.0, "ribosome": 1.0, "beta-amylase": 0.0}
        )
        expected = czii_score(solution, submitted, parameters)
        assert whole["czii"]["score"] == pytest.approx(expected.score, abs=1e-12)
        for name, counts in expected.per_class.items():
            assert whole["czii"]["per_class"][name]["tp"] == counts.tp
            assert whole["czii"]["per_class"][name]["fp"] == counts.fp
        assert 0 < whole["czii"]["score"] < 1
        # two test runs: one is public, and its part is scored on that run alone
        with session_factory(settings.sqlalchemy_url)() as db:
            version = db.get(DatasetVersion, version_id)
            assert version is not None
            split = split_for(settings, version)
            assert isinstance(split, CziiSplit)
            assert split.hidden is hidden_test_for(settings, version)
            public_runs = split.public_runs
        assert public_runs is not None
        assert len(public_runs) == 1
        public = documents["public"]
        assert isinstance(public, dict)
        assert public["czii"]["experiments"] == sorted(public_runs)
        # the participant sees the public part, rounded; the report page and board show it
        shown = client.get(f"/api/v1/submissions/{response.json()['id']}", headers=headers)
        assert shown.status_code == 200
        board = client.get("/api/v1/leaderboard", headers=headers)
        assert board.status_code == 200, board.text
        row = board.json()["rows"][0]
        assert row["czii_score"] == pytest.approx(public["czii"]["score"], abs=1e-4)
        assert row["f1"] is None
        # the pages a participant reads: the board's CZII columns, the report's table
        browser_login(client, settings, Role.ADMIN)
        page = client.get("/leaderboard")
        assert page.status_code == 200
        assert "ranked by the CZII score" in page.text
        assert ">apo-ferritin<" in page.text
        report = client.get(f"/submissions/{response.json()['id']}")
        assert report.status_code == 200
        assert 'id="czii-types"' in report.text
        assert f"{whole['czii']['score']:.4f}" in report.text  # organizers see the whole test
        dataset_page = client.get(f"/datasets/{version_id}")
        assert dataset_page.status_code == 200
        assert 'id="czii-track"' in dataset_page.text
        assert "scored as in the Kaggle CZII challenge" in dataset_page.text  # the footer
        assert 'id="copick-download"' not in dataset_page.text  # it came from one: no 409 link


def test_misframed_and_foreign_files_are_refused_before_any_quota(
    track: Track,
) -> None:
    settings, picks, _ = track
    settings = settings.model_copy(update={"daily_quota": 1})
    with TestClient(create_app(settings)) as client:
        headers = new_user(settings)
        voxels = upload(client, headers, _kaggle(picks, ("TS_1", "TS_2"), 1 / VOXEL))
        assert voxels.status_code == 422
        assert "look like voxels, not Å" in voxels.json()["detail"]
        assert "multiply by the voxel size (10 Å)" in voxels.json()["detail"]
        outside = upload(client, headers, _kaggle(picks, ("TS_1", "TS_2"), 5.0))
        assert outside.status_code == 422
        assert "lie outside the tomogram (480 × 400 × 240 Å)" in outside.json()["detail"]
        foreign = _kaggle(picks, ("TS_1",)).replace(b"TS_1", b"TS_9")
        unknown_run = upload(client, headers, foreign)
        assert unknown_run.status_code == 422
        assert (
            "experiment 'TS_9' is not a run of the hidden test (runs: TS_1, TS_2)"
            in (unknown_run.json()["detail"])
        )
        bad_type = upload(client, headers, _kaggle(picks, ("TS_1",)).replace(b"ribosome", b"virus"))
        assert bad_type.status_code == 422
        assert "unknown particle_type 'virus'" in bad_type.json()["detail"]
        assert "line " in bad_type.json()["detail"]
        # nothing counted: the one upload of the day still goes through, then the quota bites
        assert upload(client, headers, _kaggle(picks, ("TS_1",))).status_code == 201
        assert upload(client, headers, _kaggle(picks, ("TS_1",))).status_code == 429
        anyway = upload(
            client,
            new_user(settings),
            _kaggle(picks, ("TS_1", "TS_2"), 1 / VOXEL),
            allow_misframed="true",
        )
        assert anyway.status_code == 201, anyway.text


def test_the_hidden_references_never_leave_the_server(
    track: Track,
) -> None:
    settings, _, version_id = track
    with TestClient(create_app(settings)) as client:
        headers = new_user(settings)
        listed = client.get(f"/api/v1/datasets/{version_id}/files", headers=headers)
        assert listed.status_code == 200, listed.text
        names = {(f["tomogram"], f["name"]) for f in listed.json()["data"]}
        assert ("TS_0", "picks.csv") in names  # training picks, Kaggle CSV in Å
        assert not any(name == "solution.csv" for _, name in names)
        copick = client.get(f"/api/v1/datasets/{version_id}/copick.tar", headers=headers)
        # an imported version came from a copick project: it is not rebuilt as one
        assert copick.status_code == 409, copick.text
        assert "cannot be offered as a copick project" in copick.json()["detail"]
        assert {name for tomogram, name in names if tomogram != "TS_0"} <= {
            "reconstruction.mrc",
            "metadata.json",
        }


def test_an_edition_of_a_track_closes_with_its_czii_table(track: Track, tmp_path: Path) -> None:
    settings, picks, version_id = track
    with TestClient(create_app(settings)) as client:
        admin = new_user(settings, Role.ADMIN)
        phase = create_phase(client, admin, version_id)
        runs = ("TS_1", "TS_2")
        half = {run: {k: v[:1] for k, v in picks[run].items()} for run in runs}
        for sent, method in ((picks, "All_found"), (half, "Some")):
            headers = new_user(settings)
            answer = upload(
                client, headers, _kaggle(sent, runs), method=method, phase=str(phase["id"])
            )
            assert answer.status_code == 201, answer.text
            _score(settings, answer.json()["id"])
        closed = client.post(f"/api/v1/admin/phases/{phase['id']}/close", headers=admin)
        assert closed.status_code == 200, closed.text
        board = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
        assert [row["method"] for row in board["rows"]] == ["All_found", "Some"]
        assert board["rows"][0]["czii_score"] == 1.0
        tex = client.get(f"/api/v1/phases/{phase['id']}/report.tex").text
        assert "CZII score" in tex
        assert "\\textbf{1.0000}" in tex
        assert "All\\_found" in tex
        (tmp_path / "report.tex").write_text(tex)
        compiled = subprocess.run(
            [pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
            cwd=tmp_path,
            capture_output=True,
            check=False,
        )
        assert compiled.returncode == 0, compiled.stdout.decode()[-2000:]
        table = client.get(f"/api/v1/phases/{phase['id']}/report.csv").text.splitlines()
        assert table[0].startswith("rank,rank_group,method,team,submission_id,czii_score,")
        page = client.get(f"/phases/{phase['id']}/report")
        assert page.status_code == 200
        assert 'id="czii"' in page.text
        figure = client.get(f"/phases/{phase['id']}/report/f1.svg")
        assert figure.status_code == 200
        assert b"F-beta" in figure.content

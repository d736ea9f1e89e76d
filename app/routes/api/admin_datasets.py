"""`/api/v1/admin/datasets`: regenerate, activate, cancel and re-score dataset versions (admins)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from app.deps import AdminUser, CeleryDep, IdPath, SessionDep, SettingsDep
from app.schemas import (
    BaselineRunPublic,
    BaselineRunRequest,
    BaselineRunsPublic,
    BaselinesQueued,
    DatasetCreate,
    DatasetVersionAdmin,
    DatasetVersionsAdmin,
    RescoreQueued,
)
from app.services.baseline_runs import list_baseline_runs, request_baseline_runs
from app.services.datasets import activate_version, get_dataset, list_datasets
from app.services.regeneration import cancel_generation, request_regeneration, rescore_version

router = APIRouter(prefix="/admin/datasets", tags=["admin"])


@router.get("", response_model=DatasetVersionsAdmin)
def admin_dataset_versions(db: SessionDep, _: AdminUser) -> DatasetVersionsAdmin:
    """Every version with why it failed and who asked for it, newest first."""
    versions = [DatasetVersionAdmin.model_validate(version) for version in list_datasets(db)]
    return DatasetVersionsAdmin(data=versions, count=len(versions))


@router.post("", response_model=DatasetVersionAdmin, status_code=status.HTTP_202_ACCEPTED)
def regenerate(
    body: DatasetCreate, db: SessionDep, celery: CeleryDep, admin: AdminUser
) -> DatasetVersionAdmin:
    """Queue the generation of a new version on the `simulation` queue; its id comes back
    at once and `GET /api/v1/datasets/{id}` follows its progress. Requests made while
    another version generates wait their turn."""
    return DatasetVersionAdmin.model_validate(request_regeneration(db, celery, admin, body))


@router.post("/{version_id}/activate", response_model=DatasetVersionAdmin)
def activate(version_id: IdPath, db: SessionDep, _: AdminUser) -> DatasetVersionAdmin:
    """Make a ready version the one new submissions are scored against; the previous
    version keeps its leaderboard, read-only."""
    return DatasetVersionAdmin.model_validate(activate_version(db, version_id))


@router.post("/{version_id}/cancel", response_model=DatasetVersionAdmin)
def cancel(version_id: IdPath, db: SessionDep, admin: AdminUser) -> DatasetVersionAdmin:
    """Stop a queued or generating version (it fails, noting who cancelled it)."""
    version = cancel_generation(db, get_dataset(db, version_id), admin)
    return DatasetVersionAdmin.model_validate(version)


@router.post(
    "/{version_id}/rescore", response_model=RescoreQueued, status_code=status.HTTP_202_ACCEPTED
)
def rescore(version_id: IdPath, db: SessionDep, celery: CeleryDep, _: AdminUser) -> RescoreQueued:
    """Score every finished submission of a version again on the `evaluation` queue (after
    an evaluator change); earlier results stay in each submission's history."""
    queued = rescore_version(db, celery, get_dataset(db, version_id))
    return RescoreQueued(dataset_version_id=version_id, queued=queued)


@router.post(
    "/{version_id}/baselines", response_model=BaselinesQueued, status_code=status.HTTP_202_ACCEPTED
)
def run_baselines(
    version_id: IdPath,
    db: SessionDep,
    settings: SettingsDep,
    celery: CeleryDep,
    admin: AdminUser,
    body: BaselineRunRequest | None = None,
) -> BaselinesQueued:
    """Queue the reference pickers (`dog`, `template`, `unet`; all by default) on the `gpu`
    queue for the active version: each trains on the training tomograms, predicts the test
    tomogram and is submitted as a baseline entry of the leaderboard."""
    version = get_dataset(db, version_id)
    request = body or BaselineRunRequest()
    queued = request_baseline_runs(
        db, settings, celery, admin, version, request.names, request.config
    )
    return BaselinesQueued(dataset_version_id=version.id, queued=queued)


@router.get("/{version_id}/baselines", response_model=BaselineRunsPublic)
def baseline_runs(version_id: IdPath, db: SessionDep, _: AdminUser) -> BaselineRunsPublic:
    """The baseline runs of a version, newest first, with where each stands."""
    runs = list_baseline_runs(db, get_dataset(db, version_id).id)
    data = [BaselineRunPublic.model_validate(run) for run in runs]
    return BaselineRunsPublic(data=data, count=len(data))


class CopickImport(BaseModel):
    """A copick project on the server to make a version from."""

    project: str = Field(min_length=1, max_length=4096, description="config file or its folder")
    test: (
        Annotated[str, Field(min_length=1, max_length=4096)]
        | Annotated[
            list[Annotated[str, Field(min_length=1, max_length=200)]],
            Field(min_length=1, max_length=49),
        ]
    ) = Field(description="the run(s) of the hidden test: a name, comma-separated names, or a list")
    name: str | None = Field(default=None, max_length=100)
    voxel_spacing: float | None = Field(default=None, gt=0)
    profile: Literal["auto", "czii", "native"] = Field(
        default="auto",
        description="czii: the Kaggle CZII score; native: hitboxes; auto: native when every "
        "particle object is a native class, else czii",
    )
    activate: bool = False


@router.post(
    "/import-copick", response_model=DatasetVersionAdmin, status_code=status.HTTP_201_CREATED
)
def import_copick(
    body: CopickImport, db: SessionDep, settings: SettingsDep, admin: AdminUser
) -> DatasetVersionAdmin:
    """Make a version from a copick project on the server (as `tomobench datasets
    import-copick`): its runs become tomograms, its picks the ground truth, the `test` runs
    the hidden test. A project that cannot be imported answers 422 with the reason (the version is
    left `failed`)."""
    from app.services.copick_import import import_copick_version, split_runs

    version, _ = import_copick_version(
        db,
        settings,
        Path(body.project),
        split_runs(body.test),
        name=body.name,
        voxel_spacing=body.voxel_spacing,
        profile=body.profile,
        activate=body.activate,
        triggered_by=admin,
    )
    return DatasetVersionAdmin.model_validate(version)

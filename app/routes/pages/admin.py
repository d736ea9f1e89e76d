"""Administration pages: the overview, and dataset versions (regenerate, watch the progress,
activate, cancel, re-score). The page forms call the same services as `/api/v1/admin`.

Anonymous visitors are sent to the login form; other roles get the HTML "not allowed" page.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.deps import CeleryDep, IdPath, SettingsDep, get_admin, get_organizer
from app.models import User
from app.routes.pages.datasets import version_context
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, PageUser
from app.schemas import BaselineRunRequest, DatasetCreate
from app.services.baseline_runs import list_baseline_runs, request_baseline_runs
from app.services.datasets import activate_version, get_dataset, list_datasets
from app.services.errors import InvalidInput, ServiceError
from app.services.generation import PENDING
from app.services.regeneration import cancel_generation, request_regeneration, rescore_version
from baselines.names import NAMES as BASELINE_NAMES

router = APIRouter(route_class=HTMLErrorRoute)


def get_page_staff(user: PageUser) -> User:
    """The logged-in organizer or admin (PermissionDenied for participants)."""
    return get_organizer(user)


def get_page_admin(user: PageUser) -> User:
    """The logged-in admin (PermissionDenied for everyone else)."""
    return get_admin(user)


PageStaff = Annotated[User, Depends(get_page_staff)]
PageAdmin = Annotated[User, Depends(get_page_admin)]

# the latest baseline runs shown on the page (the API lists them all)
BASELINE_RUNS_SHOWN = 20

# the regeneration form: (field, label, hint); empty fields take the simulator's default
TEXT_FIELDS = (
    ("name", "Name", "letters, digits, '.', '_' or '-'; default v<id>"),
    ("seed", "Seed", "default: drawn at random and recorded"),
    ("size", "Size", "edge of the cubic volume in voxels"),
    ("slab", "Slab", "thickness of the sample in z slices; default the whole volume up to 200"),
    ("particles", "Particles", "per tomogram"),
    ("tomograms", "Tomograms", "the last ones are the hidden test"),
    ("test_tomograms", "Test tomograms", "how many of the last tomograms are the hidden test"),
    ("snr", "SNR", "signal-to-noise ratio of each projection"),
    ("tilt_min", "Lowest tilt", "degrees"),
    ("tilt_max", "Highest tilt", "degrees"),
    ("tilt_step", "Tilt step", "degrees"),
    ("defocus_um", "Defocus", "µm"),
)
# ready-made starting points for the form: (key, label, what it makes and how long it takes)
STARTING_POINTS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    (
        "demo",
        "Demo",
        "96³ voxels, 3 tomograms of 60 particles: ready in seconds",
        {"size": "96", "slab": "48", "particles": "60", "tomograms": "3"},
    ),
    (
        "small",
        "Small",
        "192³ voxels, 4 tomograms of 300 particles: about a minute",
        {"size": "192", "slab": "96", "particles": "300", "tomograms": "4"},
    ),
    (
        "shrec",
        "SHREC-size",
        "512³ at 1 nm, 200-slice slab, 10 tomograms of 2,500 particles (as SHREC'19): "
        "about 20 s per tomogram on a 2-core machine (docs/benchmarks.md), minutes in all",
        {"size": "512", "slab": "200", "particles": "2500", "tomograms": "10"},
    ),
)
# the simulator presets offered (docs/simulation.md, Presets): (value, label)
PRESET_CHOICES = (
    ("", "legacy: the defaults shown greyed"),
    ("shrec19", "shrec19: SHREC'19's recipe, calibrated to its published difficulty"),
    ("realistic", "realistic: dose, detector, beam damage, ice, crowding, distractors"),
)
CHECKBOXES = (
    ("ctf", "Apply the contrast transfer function", True),
    ("phase_flip", "Phase-flip before reconstruction", True),
    ("activate", "Activate as soon as it is ready", False),
)


def simulator_defaults() -> dict[str, Any]:
    """The simulator's own defaults, shown as placeholders."""
    from simulation import SimulationParameters

    fields = dataclasses.fields(SimulationParameters)
    return {f.name: f.default for f in fields if f.init and f.name != "seed"}  # seed: random


async def posted_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form, trimmed."""
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def regeneration_request(fields: dict[str, str]) -> DatasetCreate:
    """The API's request model filled from the form.

    Raises:
        InvalidInput: one `field: problem` line per invalid field.
    """
    values: dict[str, Any] = {name: fields[name] for name, _, _ in TEXT_FIELDS if fields.get(name)}
    if fields.get("preset"):
        values["preset"] = fields["preset"]
    values.update({name: name in fields for name, _, _ in CHECKBOXES})
    try:
        return DatasetCreate.model_validate(values)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise InvalidInput("; ".join(problems)) from error


@router.get("/admin", response_class=HTMLResponse)
def admin_home(page: PageDep, user: PageStaff) -> HTMLResponse:
    """What organizers and admins can do here."""
    return page.render("admin/index.html")


def _datasets_page(
    page: PageDep, form: dict[str, str] | None = None, error: ServiceError | None = None
) -> HTMLResponse:
    versions = list_datasets(page.db)
    context = {
        "versions": [version_context(version) for version in versions],
        "pending": any(version.status in PENDING for version in versions),
        "text_fields": TEXT_FIELDS,
        "checkboxes": CHECKBOXES,
        "preset_choices": PRESET_CHOICES,
        "starting_points": STARTING_POINTS,
        "baseline_names": BASELINE_NAMES,
        "baseline_runs": list_baseline_runs(page.db, limit=BASELINE_RUNS_SHOWN),
        "defaults": simulator_defaults(),
        "form": form,
        "errors": error.message.split("; ") if error else [],
    }
    return page.render("admin/datasets.html", context, error.status_code if error else 200)


@router.get("/admin/datasets", response_class=HTMLResponse)
def admin_datasets(page: PageDep, user: PageAdmin, start: str | None = None) -> HTMLResponse:
    """Every dataset version with its progress, and the regeneration form (filled in from a
    starting point with `?start=demo|small|shrec`)."""
    chosen = {key: values for key, _, _, values in STARTING_POINTS}.get(start or "")
    if start is not None and chosen is None:
        raise InvalidInput(f"start: expected one of demo, small, shrec; got {start!r}")
    return _datasets_page(
        page, None if chosen is None else {**chosen, "ctf": "on", "phase_flip": "on"}
    )


@router.post("/admin/datasets", response_class=HTMLResponse, dependencies=[CsrfChecked])
def admin_regenerate(
    page: PageDep,
    user: PageAdmin,
    celery: CeleryDep,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
) -> Response:
    """Queue a regeneration; a refused request is explained above the kept form."""
    try:
        version = request_regeneration(page.db, celery, user, regeneration_request(fields))
    except ServiceError as error:
        page.db.rollback()
        return _datasets_page(page, fields, error)
    return page.redirect("/admin/datasets", f"Dataset version {version.name} is queued.")


@router.post("/admin/datasets/{version_id}/activate", dependencies=[CsrfChecked])
def admin_activate(page: PageDep, user: PageAdmin, version_id: IdPath) -> RedirectResponse:
    """Make a ready version the active one."""

    def activate() -> str:
        version = activate_version(page.db, version_id)
        return f"{version.name} is now the active dataset version."

    return page.act(activate, "/admin/datasets")


@router.post("/admin/datasets/{version_id}/cancel", dependencies=[CsrfChecked])
def admin_cancel(page: PageDep, user: PageAdmin, version_id: IdPath) -> RedirectResponse:
    """Stop a queued or generating version."""

    def cancel() -> str:
        version = cancel_generation(page.db, get_dataset(page.db, version_id), user)
        return f"{version.name} was cancelled."

    return page.act(cancel, "/admin/datasets")


@router.post("/admin/datasets/{version_id}/baselines", dependencies=[CsrfChecked])
def admin_run_baselines(
    page: PageDep,
    user: PageAdmin,
    settings: SettingsDep,
    celery: CeleryDep,
    version_id: IdPath,
    names: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> RedirectResponse:
    """Queue the ticked baselines on the active version; refusals (no gpu worker, already
    running) come back as the page's error message."""

    def run() -> str:
        if not names:
            raise InvalidInput("names: tick at least one baseline")
        request = BaselineRunRequest.model_validate({"names": names})
        version = get_dataset(page.db, version_id)
        queued = request_baseline_runs(
            page.db, settings, celery, user, version, request.names, request.config
        )
        return f"Queued on the gpu queue: {', '.join(queued)}."

    return page.act(run, "/admin/datasets")


@router.post("/admin/datasets/{version_id}/rescore", dependencies=[CsrfChecked])
def admin_rescore(
    page: PageDep, user: PageAdmin, celery: CeleryDep, version_id: IdPath
) -> RedirectResponse:
    """Score every finished submission of a version again."""

    def rescore() -> str:
        version = get_dataset(page.db, version_id)
        queued = rescore_version(page.db, celery, version)
        return f"{queued} submissions of {version.name} are queued for scoring again."

    return page.act(rescore, "/admin/datasets")


@router.post("/admin/datasets/import-copick", dependencies=[CsrfChecked])
def admin_import_copick(
    page: PageDep,
    user: PageAdmin,
    settings: SettingsDep,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
) -> RedirectResponse:
    """Make a version from a copick project on the server (`datasets import-copick`)."""
    from pathlib import Path

    from app.services.copick_import import import_copick_version, split_runs

    def import_project() -> str:
        project = fields.get("project", "").strip()
        test = fields.get("test", "").strip()
        if not project or not test:
            raise InvalidInput("project and test run: both are required")
        spacing = fields.get("voxel_spacing", "").strip()
        try:
            voxel_spacing = float(spacing) if spacing else None
        except ValueError:
            raise InvalidInput(f"voxel_spacing: not a number: {spacing!r}") from None
        version, runs = import_copick_version(
            page.db,
            settings,
            Path(project),
            split_runs(test),
            name=fields.get("name", "").strip() or None,
            voxel_spacing=voxel_spacing,
            profile=fields.get("profile", "auto"),
            activate="activate" in fields,
            triggered_by=user,
        )
        return (
            f"Dataset version {version.name} imported from copick: {len(runs)} tomogram(s), "
            f"scored with the {version.profile} profile."
        )

    return page.act(import_project, "/admin/datasets")

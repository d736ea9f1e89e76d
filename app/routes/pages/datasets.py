"""Dataset pages: the versions (with live generation progress) and one version's downloads.

Both list only what `app.services.downloads` offers, so the hidden test ground truth never
appears; older versions stay browsable with their own, read-only leaderboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.deps import IdPath, SettingsDep
from app.models import DatasetStatus, DatasetVersion
from app.routes.api.datasets import archive_url, file_url
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import PageDep
from app.services.archives import archive_size
from app.services.datasets import get_dataset, list_datasets
from app.services.downloads import DownloadFile, by_tomogram, downloadable_files
from app.services.generation import PENDING

router = APIRouter(route_class=HTMLErrorRoute)

# dataset states drawn with the colours of the matching submission states
STATUS_CLASSES = {
    DatasetStatus.QUEUED: "status-queued",
    DatasetStatus.GENERATING: "status-running",
    DatasetStatus.READY: "status-scored",
    DatasetStatus.FAILED: "status-failed",
}
UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def human_size(size: int) -> str:
    """A byte count for people: `512 bytes`, `1.5 MiB`."""
    value = float(size)
    for unit in UNITS:
        if value < 1024 or unit == UNITS[-1]:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class TomogramDownloads:
    """One tomogram's row group on a version page."""

    name: str
    role: str
    files: list[dict[str, Any]]
    archive_url: str
    archive_size: str


def version_context(version: DatasetVersion) -> dict[str, Any]:
    """What the templates show of a version besides its own fields."""
    return {"version": version, "status_class": STATUS_CLASSES.get(DatasetStatus(version.status))}


@router.get("/datasets", response_class=HTMLResponse)
def datasets(page: PageDep) -> HTMLResponse:
    """Released and upcoming dataset versions, newest first (refreshed while one generates)."""
    versions = [v for v in list_datasets(page.db) if v.status != DatasetStatus.FAILED]
    pending = any(version.status in PENDING for version in versions)
    rows = [version_context(version) for version in versions]
    return page.render("datasets/index.html", {"versions": rows, "pending": pending})


def _downloads(page: PageDep, files: list[DownloadFile], version_id: int) -> list[Any]:
    return [
        TomogramDownloads(
            name=tomogram,
            role=members[0].role,
            files=[
                {
                    "name": file.name,
                    "size": human_size(file.bytes),
                    "bytes": file.bytes,
                    "sha256": file.sha256,
                    "url": file_url(page.request, file, version_id),
                }
                for file in members
            ],
            archive_url=archive_url(page.request, tomogram, version_id),
            archive_size=human_size(archive_size(members)),
        )
        for tomogram, members in by_tomogram(files).items()
    ]


@router.get("/datasets/{version_id}", response_class=HTMLResponse)
def dataset_version(page: PageDep, settings: SettingsDep, version_id: IdPath) -> HTMLResponse:
    """One version: its facts, and once ready its files with sizes, SHA-256 and archives."""
    version = get_dataset(page.db, version_id)
    ready = version.status == DatasetStatus.READY
    groups = _downloads(page, downloadable_files(settings, version), version.id) if ready else []
    context = {
        **version_context(version),
        "training": [group for group in groups if group.role != "test"],
        "test": [group for group in groups if group.role == "test"],
        "pending": version.status in PENDING,
    }
    return page.render("datasets/version.html", context)

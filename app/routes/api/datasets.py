"""`/api/v1/datasets`: the dataset versions and their downloads, open to everyone.

Files are streamed with HTTP range requests (resumable downloads); each tomogram is also
offered as one tar archive. Only what `app.services.downloads` lists can be fetched: the
hidden test ground truth has no URL.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, StreamingResponse

from app.deps import IdPath, SessionDep, SettingsDep
from app.models import DatasetVersion
from app.schemas import (
    DatasetArchivePublic,
    DatasetFilePublic,
    DatasetFilesPublic,
    DatasetVersionPublic,
    DatasetVersionsPublic,
)
from app.services.archives import archive_chunks, archive_size
from app.services.datasets import get_dataset, list_datasets
from app.services.downloads import (
    DownloadFile,
    by_tomogram,
    downloadable_files,
    find_download,
    tomogram_files,
)

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.get("", response_model=DatasetVersionsPublic)
def read_dataset_versions(db: SessionDep) -> DatasetVersionsPublic:
    """Every dataset version, newest first, with its status and generation progress."""
    versions = [DatasetVersionPublic.model_validate(v) for v in list_datasets(db)]
    return DatasetVersionsPublic(data=versions, count=len(versions))


@router.get("/{version_id}", response_model=DatasetVersionPublic)
def read_dataset_version(version_id: IdPath, db: SessionDep) -> DatasetVersionPublic:
    """One dataset version."""
    return DatasetVersionPublic.model_validate(get_dataset(db, version_id))


def file_url(request: Request, file: DownloadFile, version_id: int) -> str:
    """The site-relative download URL of a listed file."""
    return str(
        request.app.url_path_for(
            "download_file", version_id=version_id, tomogram=file.tomogram, name=file.name
        )
    )


def archive_url(request: Request, tomogram: str, version_id: int) -> str:
    """The site-relative URL of a tomogram's archive."""
    return str(
        request.app.url_path_for("download_archive", version_id=version_id, tomogram=tomogram)
    )


def archive_name(version: DatasetVersion, tomogram: str) -> str:
    """The folder inside a tomogram's archive, and (with `.tar`) the archive's file name."""
    return f"{version.path}_{tomogram}"


@router.get("/{version_id}/files", response_model=DatasetFilesPublic)
def read_dataset_files(
    version_id: IdPath, request: Request, db: SessionDep, settings: SettingsDep
) -> DatasetFilesPublic:
    """The downloadable files of a ready version with sizes and SHA-256, and the archives:
    training tomograms with their ground truth; the test tomogram without it."""
    files = downloadable_files(settings, get_dataset(db, version_id))
    listed = [
        DatasetFilePublic(
            tomogram=file.tomogram,
            role=file.role,
            name=file.name,
            bytes=file.bytes,
            sha256=file.sha256,
            url=file_url(request, file, version_id),
        )
        for file in files
    ]
    archives = [
        DatasetArchivePublic(
            tomogram=tomogram,
            role=members[0].role,
            bytes=archive_size(members),
            url=archive_url(request, tomogram, version_id),
        )
        for tomogram, members in by_tomogram(files).items()
    ]
    return DatasetFilesPublic(
        dataset_version_id=version_id, data=listed, count=len(listed), archives=archives
    )


@router.get(
    "/{version_id}/files/{tomogram}/{name}", response_class=FileResponse, name="download_file"
)
# HEAD answers the same (size, ETag) without the body; one schema entry, one operation id
@router.head(
    "/{version_id}/files/{tomogram}/{name}", response_class=FileResponse, include_in_schema=False
)
def download_file(
    version_id: IdPath, tomogram: str, name: str, db: SessionDep, settings: SettingsDep
) -> FileResponse:
    """One listed file, streamed; `Range` requests resume or split a download. The ETag is
    the file's SHA-256 (quoted), so `If-Range` guards against a changed file."""
    version = get_dataset(db, version_id)
    file, status = find_download(settings, version, tomogram, name)
    return FileResponse(
        file.path,
        filename=f"{archive_name(version, tomogram)}_{name}",
        stat_result=status,
        headers={"ETag": f'"{file.sha256}"', "Cache-Control": "public, max-age=3600"},
    )


@router.get(
    "/{version_id}/archives/{tomogram}.tar",
    response_class=StreamingResponse,
    name="download_archive",
)
def download_archive(
    version_id: IdPath, tomogram: str, db: SessionDep, settings: SettingsDep
) -> StreamingResponse:
    """A tomogram's listed files and their `SHA256SUMS` as one uncompressed tar archive,
    streamed (its exact length is known up front)."""
    version = get_dataset(db, version_id)
    files = tomogram_files(settings, version, tomogram)
    folder = archive_name(version, tomogram)
    finished = version.finished_at or version.created_at
    return StreamingResponse(
        archive_chunks(files, folder, finished.timestamp()),
        media_type="application/x-tar",
        headers={
            "Content-Length": str(archive_size(files)),
            "Content-Disposition": f'attachment; filename="{folder}.tar"',
            "Accept-Ranges": "none",
        },
    )


@router.get("/{version_id}/copick.tar", response_class=StreamingResponse, name="download_copick")
def download_copick(version_id: IdPath, db: SessionDep, settings: SettingsDep) -> StreamingResponse:
    """The version as a copick project (OME-Zarr tomograms, training picks and masks, RELION
    5 `tomograms.star`, `.tlt` and defocus files; no hidden ground truth), one tar archive.
    The project is built on the first request, then kept."""
    from app.services.copick_project import copick_archive, copick_download

    version = get_dataset(db, version_id)
    files = copick_download(settings, version)
    folder = archive_name(version, "copick")
    finished = version.finished_at or version.created_at
    return StreamingResponse(
        copick_archive(files, folder, finished.timestamp()),
        media_type="application/x-tar",
        headers={
            "Content-Length": str(archive_size(files)),
            "Content-Disposition": f'attachment; filename="{folder}.tar"',
            "Accept-Ranges": "none",
        },
    )

"""`tomobench submit`: upload a result file through the REST API and optionally wait for scores."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
import httpx

from evaluation import TABLE1_KEYS

FINISHED = ("scored", "failed")


def _fail_on_error(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful response.

    Raises:
        click.ClickException: with the service's `detail` for any error status.
    """
    if response.is_success:
        body: dict[str, Any] = response.json()
        return body
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    raise click.ClickException(f"{response.status_code}: {detail}")


API_PREFIX = "/api/v1"


def base_url(url: str) -> str:
    """The service's base URL from what a user typed: with or without a trailing slash or
    the API prefix (`http://host:8000/api/v1/` -> `http://host:8000`).

    Raises:
        click.BadParameter: if it is not an http(s) URL.
    """
    base = url.strip().rstrip("/").removesuffix(API_PREFIX).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"expected the site's address, e.g. http://127.0.0.1:8000, got {url!r}",
            param_hint="--url",
        )
    return base


def _format(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)  # as the report prints


def print_scores(submission: dict[str, Any], base: str = "") -> None:
    """A short readable summary of a scored submission, with its report's address."""
    result = submission["result"] or {}
    localization = result.get("localization", {})
    click.echo(f"submission {submission['id']} ({submission['method']}): scored")
    czii = result.get("czii")
    if isinstance(czii, dict):  # a real-data track: the CZII score and its F-beta per type
        click.echo(f"CZII score={_format(czii.get('score'))}")
        per_type = (czii.get("per_class") or {}).items()
        click.echo("F-beta: " + "  ".join(f"{k}={_format(v.get('fbeta'))}" for k, v in per_type))
    else:
        click.echo("  ".join(f"{key}={_format(localization.get(key))}" for key in TABLE1_KEYS))
    groups = result.get("size_groups", {})
    if groups:
        click.echo("size groups F1: " + "  ".join(f"{k}={_format(v)}" for k, v in groups.items()))
    if base:
        click.echo(f"report: {base}/submissions/{submission['id']}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="Base URL of the service, e.g. http://127.0.0.1:8000")
@click.option(
    "--token", envvar="TOMOBENCH_TOKEN", required=True, help="API token ($TOMOBENCH_TOKEN)."
)
@click.option("--method", default=None, help="Method name (default: the file name without suffix).")
@click.option("--description", default="", help="Optional description.")
@click.option(
    "--team", default="", help="Optional: your team's name, checked (uploads count for it)."
)
@click.option("--wait", is_flag=True, help="Wait until scored and print the scores.")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds to wait.")
@click.option("--json", "as_json", is_flag=True, help="Print the service's JSON.")
@click.option("--format", "file_format", default="", help="Force the file's format [detected].")
@click.option("--class", "class_name", default="", help="Class of a file without a class column.")
@click.option("--pixel-size", default="", help="Å per pixel of coordinates at another binning.")
@click.option("--allow-misframed", is_flag=True, help="Score the file even if it looks misframed.")
@click.option("--phase", default="", help="Phase id [the open continuous phase].")
def submit(
    file: Path,
    url: str,
    token: str,
    method: str | None,
    description: str,
    team: str,
    wait: bool,
    timeout: float,
    as_json: bool,
    file_format: str,
    class_name: str,
    pixel_size: str,
    allow_misframed: bool,
    phase: str,
) -> None:
    """Upload FILE (a result file, in any format the evaluator reads) to the service at URL.

    A file the service refuses (a bad line, misframed coordinates) costs no quota; the
    reason is printed.
    """
    base = base_url(url)
    headers = {"Authorization": f"Bearer {token}"}
    fields = {"method": method or file.stem, "description": description, "team": team}
    reading = {"format": file_format, "class": class_name, "pixel_size": pixel_size}
    reading["phase"] = phase
    fields.update({key: value for key, value in reading.items() if value})
    if allow_misframed:
        fields["allow_misframed"] = "true"
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            with file.open("rb") as handle:
                answer = client.post(
                    f"{API_PREFIX}/submissions", files={"file": (file.name, handle)}, data=fields
                )
            if answer.status_code in (404, 405):  # not a tomobench site at this address
                raise click.ClickException(
                    f"{base}{API_PREFIX}/submissions answered {answer.status_code}: is {url} "
                    "the address of a tomobench site (e.g. http://127.0.0.1:8000)?"
                )
            created = _fail_on_error(answer)
            if not wait:
                click.echo(
                    json.dumps(created)
                    if as_json
                    else f"submission {created['id']}: {created['status']}"
                )
                return
            submission = _wait(client, created["id"], timeout)
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach {url}: {error}") from error
    if as_json:
        click.echo(json.dumps(submission, indent=2))
    elif submission["status"] == "scored":
        print_scores(submission, base)
    if submission["status"] == "failed":
        raise click.ClickException(f"submission {submission['id']} failed: {submission['error']}")


def _wait(client: httpx.Client, submission_id: int, timeout: float) -> dict[str, Any]:
    """Poll a submission until it finishes.

    Raises:
        click.ClickException: if it has not finished after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        submission = _fail_on_error(client.get(f"/api/v1/submissions/{submission_id}"))
        if submission["status"] in FINISHED:
            return submission
        if time.monotonic() > deadline:
            raise click.ClickException(
                f"submission {submission_id} still {submission['status']} after {timeout:.0f} s"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)

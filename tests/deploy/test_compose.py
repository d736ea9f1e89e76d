"""The deployment files agree with the code: no Docker engine runs here, so check what can be
checked statically — commands, queues, settings and the image's user."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from app.cli import main
from app.core.config import Settings
from app.queues.routing import QUEUE_NAMES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def _tomobench_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image", "").startswith("tomobench")
    }


def _parse_cli(args: list[str]) -> click.Context:
    """Resolve `tomobench ARGS` down to its leaf command and parse its options, without running
    it; click raises a UsageError for an unknown command or option."""
    command: click.Command = main
    context = main.make_context("tomobench", list(args), resilient_parsing=False)
    while isinstance(command, click.Group):
        remaining = context.protected_args + context.args
        name, sub, rest = command.resolve_command(context, remaining)
        assert sub is not None, f"unknown subcommand {name!r}"
        command = sub
        context = sub.make_context(name, rest, parent=context)
    return context


def test_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "healthcheck" in service, f"{name} has no health check"


def test_the_infrastructure_is_postgres_and_redis_with_a_volume(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert any("/var/lib/postgresql/data" in volume for volume in services["postgres"]["volumes"])
    assert services["redis"]["image"].startswith("redis:")


def test_service_commands_are_real_tomobench_subcommands(compose: dict[str, Any]) -> None:
    services = _tomobench_services(compose)
    assert {"web", "worker-evaluation", "worker-simulation", "worker-gpu"} <= set(services)
    for name, service in services.items():
        context = _parse_cli(service["command"])
        assert context.command.name, name
        health = service["healthcheck"]["test"]
        if health[1] == "tomobench":
            _parse_cli(health[2:])
        elif health[1:3] == ["python", "-m"]:
            assert importlib.util.find_spec(health[3]) is not None, f"{name}: no {health[3]}"


def test_worker_queues_match_the_celery_routing(compose: dict[str, Any]) -> None:
    queues: set[str] = set()
    for service in _tomobench_services(compose).values():
        command = service["command"]
        if command[0] == "worker":
            queues.update(command[command.index("--queues") + 1].split(","))
    assert queues == set(QUEUE_NAMES)


def test_gpu_worker_reserves_an_nvidia_device(compose: dict[str, Any]) -> None:
    devices = compose["services"]["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia"
    assert "gpu" in devices[0]["capabilities"]


def test_environment_names_are_settings(compose: dict[str, Any]) -> None:
    prefix = Settings.model_config.get("env_prefix", "")
    known = {f"{prefix}{field}".upper() for field in Settings.model_fields}
    for name, service in _tomobench_services(compose).items():
        for variable in service["environment"]:
            assert variable in known, f"{name}: {variable} is not a setting"


def test_web_service_migrates_and_serves(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    assert web["command"][0] == "serve"
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_dockerfile_runs_as_non_root_with_the_cli_as_entrypoint() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert user, "no USER line"
    assert user[-1] not in {"root", "0"}
    assert re.search(r'^ENTRYPOINT \["tomobench"\]', dockerfile, flags=re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])", dockerfile, flags=re.MULTILINE)
    assert cmd is not None
    _parse_cli(yaml.safe_load(cmd.group(1)))
    for source in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE):
        for path in shlex.split(source):
            assert (ROOT / path).exists(), f"COPY of a missing path: {path}"


def _web_settings(compose: dict[str, Any], **changes: str | None) -> Settings:
    """The settings the web service starts with (secrets filled in as an operator would)."""
    environment = {**compose["services"]["web"]["environment"], **changes}
    values = {
        name.removeprefix("TOMOBENCH_").lower(): re.sub(r"\$\{[^}]*\}", "s" * 48, str(value))
        for name, value in environment.items()
        if value is not None
    }
    return Settings(**values)


def test_production_session_cookies_are_https_only(compose: dict[str, Any]) -> None:
    assert _web_settings(compose).session_cookie_secure
    # production is Secure by default: only an explicit "false" turns it off
    assert _web_settings(compose, TOMOBENCH_COOKIE_SECURE=None).session_cookie_secure
    assert not _web_settings(compose, TOMOBENCH_COOKIE_SECURE="false").session_cookie_secure
    assert not Settings(env="dev").session_cookie_secure


def test_the_web_server_bounds_slow_clients(compose: dict[str, Any]) -> None:
    from app.server import HeadDeadlineH11Protocol, uvicorn_options

    settings = _web_settings(compose)
    assert settings.http_header_timeout_s <= 10
    assert settings.http_body_timeout_s <= 30
    options = uvicorn_options(settings)
    assert options["http"] == f"app.server:{HeadDeadlineH11Protocol.__name__}"
    assert options["timeout_keep_alive"] <= 5
    assert options["limit_concurrency"] > 0
    # the image and the web service both run `serve`, which passes these options to uvicorn
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r'^CMD \["serve"', dockerfile, flags=re.MULTILINE)
    assert compose["services"]["web"]["command"][0] == "serve"


def test_only_the_gpu_worker_gets_the_image_with_pytorch(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.findall(r"^FROM (\S+) AS (\S+)", dockerfile, flags=re.MULTILINE)
    stages = {name: base for base, name in found}
    assert set(stages) == {"service", "gpu"}
    assert stages["gpu"] == "service"  # the same service, plus PyTorch
    installs = dict(re.findall(r"^FROM \S+ AS (\S+)\n(.*?)(?=^FROM |\Z)", dockerfile, re.M | re.S))
    assert "'.[service]'" in installs["service"]  # the slim image: no PyTorch
    assert ",baselines]" not in installs["service"]
    assert "'.[service,baselines]'" in installs["gpu"]
    targets = {name: service["build"]["target"] for name, service in compose["services"].items()
               if "build" in service}  # fmt: skip
    assert targets.pop("worker-gpu") == "gpu"
    assert set(targets.values()) == {"service"}
    assert compose["services"]["worker-gpu"]["image"] != compose["services"]["web"]["image"]

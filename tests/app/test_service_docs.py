"""docs/service.md documents every setting and every API route of the service."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.config import Settings
from app.main import create_app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "service.md").read_text()


def test_every_setting_is_in_the_table() -> None:
    documented = set(re.findall(r"^\| `TOMOBENCH_([A-Z0-9_]+)` \|", DOC, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_every_api_route_is_documented(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    for path, methods in _api_routes(app.openapi()):
        for method in methods:
            assert f"`{method} {path}`" in DOC, f"{method} {path} is not in docs/service.md"


def _api_routes(openapi: dict[str, dict[str, dict[str, object]]]) -> list[tuple[str, list[str]]]:
    routes = []
    for path, operations in openapi["paths"].items():
        if path.startswith("/api/") or path == "/healthz":
            routes.append((re.sub(r"\{\w+_id\}", "{id}", path), [m.upper() for m in operations]))
    return routes

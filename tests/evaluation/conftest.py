"""The evaluator's tests keep the hitbox-facts cache in their own temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.ground_truth import file_facts


@pytest.fixture(autouse=True)
def facts_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("facts-cache")
    monkeypatch.setenv(file_facts.DIRECTORY_VARIABLE, str(folder))
    monkeypatch.delenv(file_facts.DISABLE_VARIABLE, raising=False)
    return folder

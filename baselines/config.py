"""Configurations: frozen parameter sets with a reduced CPU preset and a full GPU preset."""

from __future__ import annotations

import dataclasses
from typing import Any, Self

import torch

from baselines.errors import BaselineError

PRESETS = ("cpu", "gpu")


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every baseline's configuration: plain fields, round-tripped through dicts."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values (tuples stay tuples)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        """Rebuild a configuration; raises BaselineError for unknown or missing fields."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown, missing = set(values) - names, names - set(values)
        if unknown or missing:
            raise BaselineError(
                f"{cls.__name__}: unknown fields {sorted(unknown)}, missing {sorted(missing)}"
            )
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def resolve_preset(preset: str, device: torch.device) -> str:
    """ "cpu" or "gpu" as asked, or for "auto" the one that suits `device`.

    Raises BaselineError for any other value.
    """
    if preset == "auto":
        return "gpu" if device.type == "cuda" else "cpu"
    if preset not in PRESETS:
        raise BaselineError(f"unknown configuration {preset!r}; expected auto, cpu or gpu")
    return preset

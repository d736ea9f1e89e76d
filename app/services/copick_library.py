"""The copick library, imported without letting it take over the process's logging.

Importing copick calls `logging.basicConfig(force=True)` with a console handler at INFO level:
in the web service, a worker or a command, every library's INFO lines would then be printed
(and the process's own handlers dropped). `load_copick()` imports it and puts the root
logger back as it was.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

# copick's modules that configure logging when first imported, loaded together here
_MODULES = ("copick", "copick.models", "copick.impl.filesystem")


def _plain_logger(name: str, debug: bool = False) -> logging.Logger:
    """copick's `get_logger` without its `basicConfig(force=True)`."""
    return logging.getLogger(name)


def load_copick() -> ModuleType:
    """The `copick` module, with the root logger's handlers and level as they were.

    copick's modules each call `copick.util.log.get_logger` when first imported, some only
    when a function first needs them; that helper is replaced by a plain `getLogger` before
    any of them loads, so none reconfigures the root logger later either.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        copick_log = importlib.import_module("copick.util.log")
        copick_log.get_logger = _plain_logger  # type: ignore[attr-defined]
        for name in _MODULES:
            importlib.import_module(name)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return importlib.import_module("copick")

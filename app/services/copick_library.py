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


def load_copick() -> ModuleType:
    """The `copick` module, with the root logger's handlers and level as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        for name in _MODULES:
            importlib.import_module(name)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return importlib.import_module("copick")

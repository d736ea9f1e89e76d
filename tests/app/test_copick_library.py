"""copick reconfigures the root logger when imported; through `load_copick` it may not."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import logging, sys
handler = logging.StreamHandler(sys.stderr)
logging.getLogger().handlers[:] = [handler]
logging.getLogger().setLevel(logging.WARNING)
{load}
root = logging.getLogger()
print(root.handlers == [handler], root.level == logging.WARNING)
"""


def _root_kept(load: str) -> str:
    code = CHECK.format(load=load)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_load_copick_leaves_the_logging_as_it_was() -> None:
    assert _root_kept("import copick") == "False False"  # what the guard is for
    guarded = "from app.services.copick_library import load_copick; load_copick()"
    assert _root_kept(guarded) == "True True"

"""Report figures drawn once and kept as files under the data folder.

Drawing a figure takes 100–650 ms (matplotlib); reading it back takes well under a
millisecond. A figure is stored under a name made of what it shows: the SHA-256 of the
canonical JSON of the document it is drawn from (the viewer's view of the result: whole,
public part, rounded or blanked), the figure's name, and a version of the plotting code (the
SHA-256 of the modules that draw). So a re-scored or rewritten result, another view of it,
or a change of the plotting code draws afresh, and nothing stale is ever served.

Files of one result live in one folder (`<data>/figures/<key>/`); when a folder holds more
than `KEPT` figures the oldest are removed, so a result re-scored many times does not grow
the folder without bound. Writes go through a temporary file and a rename, so two requests
drawing the same figure at once never serve half a file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.services.phase_report import PhaseReport

KEPT = 24  # figures per folder: 3 figures of a few views and re-scores
PLOTTING_MODULES = (
    "app.services.plots",
    "app.services.report_figures",
    "app.services.report",
    "app.services.phase_report",
)


@functools.cache
def plotting_version() -> str:
    """A short hash of the code that draws the figures (read as files, not imported): a
    change to it draws afresh."""
    digest = hashlib.sha256()
    for module in PLOTTING_MODULES:
        spec = importlib.util.find_spec(module)
        assert spec is not None  # modules of this package
        assert spec.origin is not None
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:12]


def document_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON: what a figure drawn from it depends on."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _prune(folder: Path, written: Path) -> None:
    """Remove the oldest figures beyond `KEPT` (never the one just written: file times are
    coarse, so it may tie with older ones)."""
    others = [path for path in folder.glob("*.svg") if path != written]
    others.sort(key=lambda path: path.stat().st_mtime_ns)
    for path in others[: max(0, len(others) + 1 - KEPT)]:
        path.unlink(missing_ok=True)


def cached_svg(folder: Path, name: str, content: str, draw: Callable[[], str | None]) -> str | None:
    """The SVG of figure `name` drawn from content `content` (a digest), read from `folder`
    when it was drawn before; else drawn by `draw` and stored. None (nothing to draw) is not
    stored: it costs no drawing.

    Raises:
        OSError: if the folder cannot be created or written.
        ValueError: if `draw` cannot plot the numbers (see `app.services.plots`).
    """
    path = folder / f"{name}-{content[:32]}-{plotting_version()}.svg"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    svg = draw()
    if svg is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(svg)
    os.replace(temporary, path)
    _prune(folder, path)
    return svg


def figures_folder(data_dir: Path, key: str) -> Path:
    """Where the figures of one result (`result-<id>`) or one phase report are kept."""
    return data_dir / "figures" / key


def result_figure_svg(
    data_dir: Path, result_id: int, name: str, document: Mapping[str, Any]
) -> str | None:
    """Figure `name` of a result as the viewer sees it (`document`, from
    `app.services.disclosure.visible_metrics`), drawn once per view and kept.

    Raises:
        KeyError: if `name` is not a report figure.
        ValueError: if the numbers cannot be plotted.
        OSError: if the figures folder cannot be written.
    """
    from app.services.report_figures import FIGURES, render_figure

    if name not in FIGURES:
        raise KeyError(name)
    return cached_svg(
        figures_folder(data_dir, f"result-{result_id}"),
        name,
        document_digest(document),
        lambda: render_figure(name, document),
    )


def phase_report_svg(data_dir: Path, report: PhaseReport) -> str:
    """The per-class F1 of every entry of a closed phase's report, drawn once: a closed
    phase's report never changes (its snapshot's SHA-256 names the figure).

    Raises:
        OSError: if the figures folder cannot be written.
    """
    from app.services.phase_report import entries_f1_svg

    folder = figures_folder(data_dir, f"phase-{report.phase.id}")
    svg = cached_svg(folder, "entries-f1", report.snapshot_sha256, lambda: entries_f1_svg(report))
    assert svg is not None  # entries_f1_svg always draws
    return svg

"""Progress reporting: stages of known relative cost mapped onto one monotone 0..1 scale."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[str, float], None]
# smallest rise of the overall fraction worth a report within one stage
MIN_STEP = 0.01

# relative cost of each stage of one tomogram (measured at the SHREC size)
TOMOGRAM_STAGES: dict[str, float] = {
    "placement": 0.15,
    "water": 0.05,
    "ground truth": 0.10,
    "projection": 0.15,
    "imaging": 0.15,
    "reconstruction": 0.25,
    "writing": 0.15,
}


class StageProgress:
    """Turns (stage, fraction of that stage) into (stage, overall fraction), never going back."""

    def __init__(self, callback: ProgressCallback | None, stages: dict[str, float]) -> None:
        self.callback = callback
        total = sum(stages.values())
        self.starts: dict[str, float] = {}
        self.weights = {name: weight / total for name, weight in stages.items()}
        running = 0.0
        for name, weight in self.weights.items():
            self.starts[name] = running
            running += weight
        self.reported = 0.0
        self.sent = 0.0
        self.stage = ""

    def report(self, stage: str, fraction: float = 0.0) -> None:
        """Report progress within a stage; unknown stages raise KeyError.

        The callback hears of every new stage, of each stage's end, and within a stage of
        each further step of at least MIN_STEP, so a queue's status store is not flooded.
        """
        overall = self.starts[stage] + self.weights[stage] * min(max(fraction, 0.0), 1.0)
        self.reported = max(self.reported, min(overall, 1.0))
        if self.callback is None:
            return
        step = self.reported - self.sent
        if stage != self.stage or step >= MIN_STEP - 1e-9 or (fraction >= 1.0 and step > 0):
            self.stage, self.sent = stage, self.reported
            self.callback(stage, self.reported)

    def finish(self) -> None:
        """Report completion."""
        self.reported = 1.0
        if self.callback is not None:
            self.callback("done", 1.0)


def scaled(
    callback: ProgressCallback | None, start: float, span: float, label: str
) -> ProgressCallback:
    """A callback that maps a sub-task's 0..1 onto [start, start + span] with a label prefix."""

    def report(stage: str, fraction: float) -> None:
        if callback is not None:
            callback(f"{label}: {stage}", start + span * fraction)

    return report

"""The two ways input can be rejected: a bad submission, a bad ground truth."""

from __future__ import annotations


class SubmissionError(ValueError):
    """A submission that cannot be scored, with the line that shows why.

    ``str(error)`` is ``"line 12: unknown class 'abc'"``, or just the reason when the
    problem belongs to no single line (an empty file, a file over the size limit).
    """

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(reason if line is None else f"line {line}: {reason}")

    def __reduce__(self) -> tuple[type[SubmissionError], tuple[str, int | None]]:
        # Task queues pickle exceptions: rebuild from the parts, not from the message.
        return (type(self), (self.reason, self.line))


class GroundTruthError(ValueError):
    """A ground-truth folder or file that is missing, malformed or inconsistent."""

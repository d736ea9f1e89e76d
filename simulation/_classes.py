"""Placeholder for the class list until evaluation.classes exists."""

CLASSES: tuple[str, ...] = (
    "1bxn",
    "1qvr",
    "1s3x",
    "1u6g",
    "2cg9",
    "3cf3",
    "3d2f",
    "3gl1",
    "3h84",
    "3qm1",
    "4b4t",
    "4d8q",
)

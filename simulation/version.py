"""The simulator's version, recorded in every dataset: bump it when outputs change."""

SIMULATOR_VERSION = "1.0.0"

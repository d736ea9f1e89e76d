"""The example's native ground-truth folder (data only; a package so that it is installed)."""

"""Migration scripts, applied in order by Alembic (a package so that installs ship them)."""

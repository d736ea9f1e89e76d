"""`python -m app.cli`: the `tomobench` command, for child processes started by `serve`."""

from app.cli import main

main()

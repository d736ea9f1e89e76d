"""The tomobench web service (FastAPI) and its command line."""

"""Cross-cutting pieces of the service: settings."""

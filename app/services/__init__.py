"""Use cases shared by the REST API and the HTML pages: they take a session and plain values."""

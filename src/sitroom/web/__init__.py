"""The web layer: the JSON API, sessions, the SSE stream (and later the pages)."""

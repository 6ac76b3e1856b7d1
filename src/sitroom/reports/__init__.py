"""The After-Action Report / Improvement Plan: a model built from log + package, and its
renderers (HTML, DOCX, PDF, charts)."""

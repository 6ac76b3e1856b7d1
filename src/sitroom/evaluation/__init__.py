"""Evaluation of a run: projections of its log and package (no I/O)."""

"""sitroom: design, run and evaluate discussion-based exercises."""

__version__ = "0.1.0"

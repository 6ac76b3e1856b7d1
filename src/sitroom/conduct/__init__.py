"""Conduct of a run: commands in, events out, one visibility gate."""

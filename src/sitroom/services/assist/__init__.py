"""Assistants: proposals (ratings, follow-ups, findings) a person accepts, edits or discards."""

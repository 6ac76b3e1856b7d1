"""One plain function per command, grouped by the area of the run it acts on.

Every handler has the shape ``(state, command, principal, ctx) -> list[Event]`` and raises
``Rejected``; ``sitroom.conduct.run.HANDLERS`` lists them all in one table.
"""

"""Corrective actions across an exercise series: the improvement loop (HSEEP Improvement Planning).

``commands``, ``events``, ``state``, ``rules``, ``trends`` and ``xlsx`` are pure; ``service`` wires
them to the event log (one stream per series) and to the run engine.
"""

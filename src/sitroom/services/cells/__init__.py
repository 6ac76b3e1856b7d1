"""Simulated cells: teams played by software (scripted, or by a language model) as followers."""

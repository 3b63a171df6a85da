"""Simulations: seeded, reproducible runs of the mechanisms on synthetic participants."""

"""Plots and HTML reports (matplotlib, from the ``reports`` extra)."""

"""Circles of Support and Accountability: circles, concerns, the shared profile (R-50..R-54)."""

"""Deterministic synthetic demo data. Every person in it is invented; none is real."""

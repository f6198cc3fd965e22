"""Packs: case information put on paper (PDF) for a named recipient, after the gate."""

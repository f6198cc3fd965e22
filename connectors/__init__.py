"""Agency connectors (police, probation, health, COSA): parse, validate, map to canonical
records. Registered by the `hub.connectors` entry point; they know nothing of Flask or the
database. The first connectors arrive with the connectors issue.
"""

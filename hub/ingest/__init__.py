"""Ingest: the database side of the connectors (receipts, matching, dead letters, bulk).

One pipeline (`hub.ingest.pipeline.ingest`) serves `hub import` now and the push endpoint
later: validate, map, match persons (R-56), write through the services with their COLLECT
audit entries and a receipt, all in one transaction per message. `hub import` takes a file a
chunk at a time through `hub.ingest.batch`, which gives every record the outcome `ingest`
would give it, with a few multi-row statements for the chunk's new people.
"""

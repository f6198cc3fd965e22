"""Ingest: the database side of the connectors (receipts, matching, dead letters, bulk).

One pipeline (`hub.ingest.pipeline.ingest`) serves `hub import` now and the push endpoint
later: validate, map, match persons (R-56), write through the services with their COLLECT
audit entries and a receipt, all in one transaction per message.
"""

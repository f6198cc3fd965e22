"""Outbound case events: the outbox, client subscriptions, signed delivery and the worker.

`emit` writes an event into the caller's transaction (the transactional outbox), so an event
exists exactly when the change it tells of was committed. The worker fans each event out to
the subscriptions that want it and delivers it through the gate, as the subscriber would read.
"""

from hub.events.outbox import EVENT_TYPES, emit

__all__ = ["EVENT_TYPES", "emit"]

"""The tamper-evident audit trail (DPA 2018 s.62): entries, Merkle tree, checkpoints."""

from hub.audit.entry import AuditEntry
from hub.audit.log import record, record_many

__all__ = ["AuditEntry", "record", "record_many"]

"""Write-side operations on the shared case record.

Each takes ``(session, actor, ...)``, enforces the business rules of domain.md §9, writes
its audit entry, and flushes. None commits: the caller owns the transaction, so a rule
that fails after a partial change leaves nothing behind once the caller rolls back.
"""

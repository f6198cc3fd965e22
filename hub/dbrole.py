"""The application's PostgreSQL role: everything it needs, and no way to rewrite the log.

Migrations run as the schema's owner; the hub serves as a separate role granted here. The
audit tables get SELECT and INSERT only (the log head also UPDATE, which its trigger lets
move forward only), so even with the triggers dropped by an owner's mistake the serving role
cannot edit, delete or truncate an entry (the queue of appends not yet sequenced also DELETE:
sequencing moves them into the log). The data-key table is SELECT only: keys are made,
rotated and destroyed by operators running `hub keys` as the owner. Re-run after every
`hub db upgrade`: the grants are per table and new tables start with none (fail closed).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, inspect

from hub.errors import InvalidInput

# Append-only for the serving role: the database refuses anything else (DPA 2018 s.62).
AUDIT_PRIVILEGES = {
    "audit_entry": "SELECT, INSERT",
    # Sequencing moves a queued entry into audit_entry by deleting it here in the same
    # transaction; the queue's trigger refuses UPDATE and TRUNCATE.
    "audit_queue": "SELECT, INSERT, DELETE",
    "audit_checkpoint": "SELECT, INSERT",
    "audit_signing_key": "SELECT, INSERT",
    "audit_log_head": "SELECT, UPDATE",
    "alembic_version": "SELECT",
    # Data keys are made and rotated by operators as the owner (`hub keys ...`); a server only
    # reads them, so a compromised server cannot swap in a key of its choosing or shred data.
    "encryption_key": "SELECT",
}
CASE_RECORD_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
JOB_QUEUE_SCHEMA = "procrastinate"
JOB_QUEUE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(engine: Engine, role: str) -> dict[str, str]:
    """Grant `role` exactly the privileges the hub needs; return them, table by table."""
    if engine.dialect.name != "postgresql":
        raise InvalidInput("database", "database roles exist only on PostgreSQL")
    if not _ROLE_NAME.match(role):
        raise InvalidInput("role", "a role name is lower-case letters, digits and _ only")
    granted: dict[str, str] = {}
    with engine.begin() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role}
        ).scalar()
        if not exists:
            raise InvalidInput("role", f"no role {role!r}: create it first (CREATE ROLE)")
        # The name is checked against _ROLE_NAME above; identifiers cannot be bound.
        connection.exec_driver_sql(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
        connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        for table in sorted(inspect(connection).get_table_names()):
            privileges = AUDIT_PRIVILEGES.get(table, CASE_RECORD_PRIVILEGES)
            connection.exec_driver_sql(f'GRANT {privileges} ON "{table}" TO "{role}"')
            granted[table] = privileges
        connection.exec_driver_sql(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        granted.update(_grant_job_queue(connection, role))
    return granted


def _grant_job_queue(connection: Connection, role: str) -> dict[str, str]:
    """The outbound-event worker's job queue: procrastinate's tables and functions, in their
    own schema (migration 0014). The worker and the web app (which defers jobs) use them."""
    tables = inspect(connection).get_table_names(schema=JOB_QUEUE_SCHEMA)
    if not tables:
        return {}
    schema = f'"{JOB_QUEUE_SCHEMA}"'
    connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA {schema} TO "{role}"')
    connection.exec_driver_sql(
        f'GRANT {JOB_QUEUE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO "{role}"'
    )
    connection.exec_driver_sql(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO "{role}"')
    connection.exec_driver_sql(f'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO "{role}"')
    return {f"{JOB_QUEUE_SCHEMA}.{table}": JOB_QUEUE_PRIVILEGES for table in sorted(tables)}

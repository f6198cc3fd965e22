"""outbound event subscriptions and outbox (issue 7)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 02:15:00

New tables only: nothing existing is altered, so no SQLite table rebuild can cascade-delete
child rows. On PostgreSQL the worker's job queue (procrastinate's own schema) is created in a
schema of its own, `procrastinate`, so that it stays apart from the case record and a
downgrade drops it whole; see docs/events.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


PROCRASTINATE_SCHEMA = "procrastinate"


def _apply_procrastinate_schema() -> None:
    from procrastinate.schema import SchemaManager

    connection = op.get_bind()
    previous = connection.exec_driver_sql("SHOW search_path").scalar()
    connection.exec_driver_sql(f"CREATE SCHEMA {PROCRASTINATE_SCHEMA}")
    connection.exec_driver_sql(f"SET search_path TO {PROCRASTINATE_SCHEMA}")
    try:
        # The driver reads % as a placeholder: double the SQL's own, as procrastinate does.
        connection.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    finally:
        connection.exec_driver_sql(
            "SELECT set_config('search_path', %(path)s, false)", {"path": previous}
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _apply_procrastinate_schema()
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fanned_out", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mappa_case.id"], name=op.f("fk_event_outbox_case_id_mappa_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_outbox")),
    )
    op.create_index(
        "ix_event_outbox_fanned_out_occurred", "event_outbox", ["fanned_out", "occurred_at"]
    )
    op.create_index(op.f("ix_event_outbox_case_id"), "event_outbox", ["case_id"])
    op.create_table(
        "event_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.String(length=300), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.client_id"],
            name=op.f("fk_event_subscription_client_id_oauth_client"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_subscription")),
        sa.UniqueConstraint("client_id", "url", name=op.f("uq_event_subscription_client_id")),
    )
    op.create_index(op.f("ix_event_subscription_client_id"), "event_subscription", ["client_id"])
    op.create_table(
        "event_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "DELIVERED",
                "WITHHELD",
                "DEAD",
                name="event_delivery_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event_outbox.id"], name=op.f("fk_event_delivery_event_id_event_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["event_subscription.id"],
            name=op.f("fk_event_delivery_subscription_id_event_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_delivery")),
        sa.UniqueConstraint("event_id", "subscription_id", name=op.f("uq_event_delivery_event_id")),
    )
    op.create_index(
        "ix_event_delivery_status_next_attempt",
        "event_delivery",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {PROCRASTINATE_SCHEMA} CASCADE")
    op.drop_index("ix_event_delivery_status_next_attempt", table_name="event_delivery")
    op.drop_table("event_delivery")
    op.drop_index(op.f("ix_event_subscription_client_id"), table_name="event_subscription")
    op.drop_table("event_subscription")
    op.drop_index(op.f("ix_event_outbox_case_id"), table_name="event_outbox")
    op.drop_index("ix_event_outbox_fanned_out_occurred", table_name="event_outbox")
    op.drop_table("event_outbox")

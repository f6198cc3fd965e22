"""Alembic environment: runs migrations with the hub's own engine settings."""

from __future__ import annotations

from alembic import context

import hub.models  # noqa: F401  (registers every table on the metadata)
from hub.db import Base, make_engine

config = context.config
connection = config.attributes.get("connection")


def run(connection_: object) -> None:
    context.configure(
        connection=connection_,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        run(conn)
    engine.dispose()

"""Alembic environment: uses the connection handed in by argusai.store.migrate.

The store imports no feature: the metadata with every table (``argusai.schema.metadata()``)
is handed in as ``config.attributes["target_metadata"]`` when a comparison needs it
(autogenerate); plain upgrades only run the revision files.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from argusai.store.models import Base

config = context.config
target_metadata = config.attributes.get("target_metadata", Base.metadata)


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # Huey may share the database (PostgreSQL queue): never propose dropping its tables.
    return not (type_ == "table" and name is not None and name.startswith("huey"))


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by argusai.store.migrate.upgrade
        _migrate(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _migrate(conn)


run()

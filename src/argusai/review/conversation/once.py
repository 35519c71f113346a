"""Insert a row unless a row with its unique key is there already (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_once(session: Session, model: Any, values: dict[str, Any]) -> int | None:
    """Insert ``values`` into ``model``'s table; its new ``id``, or None when a unique
    constraint says the row exists (nothing is written then)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing()
    if hasattr(model, "id"):
        new_id = session.scalar(statement.returning(model.id))
        return int(new_id) if new_id is not None else None
    result = session.execute(statement)
    return 1 if int(getattr(result, "rowcount", 0) or 0) > 0 else None

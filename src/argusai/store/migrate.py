"""Alembic migrations, run programmatically (``argus db upgrade``; embedded serve does it)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

SCRIPT_LOCATION = "argusai.store:migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision``; safe to run concurrently on PostgreSQL."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # one migrator at a time across processes; released at commit
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7411620001)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_tables(engine: Engine) -> set[str]:
    """Names of the tables that exist (for readiness checks)."""
    return set(inspect(engine).get_table_names())

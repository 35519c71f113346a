"""Alembic migrations, run programmatically (``argus db upgrade``; embedded serve does it)."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

SCRIPT_LOCATION = "argusai.store:migrations"


@dataclass(frozen=True)
class Upgraded:
    """What an upgrade did: the revision before and after, and the migrations applied."""

    before: str | None
    after: str | None
    applied: tuple[str, ...]  # oldest first


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _current(conn: Connection) -> str | None:
    # read directly: MigrationContext.configure would log "Context impl …" at INFO each time
    if not inspect(conn).has_table("alembic_version"):
        return None
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return str(revision) if revision is not None else None


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    """Bring the database schema to ``revision``; safe to run concurrently on PostgreSQL."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # one migrator at a time across processes; released at commit
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7411620001)")
        before = _current(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = _current(conn)
    applied: tuple[str, ...] = ()
    if after != before and after is not None:
        scripts = ScriptDirectory.from_config(cfg).iterate_revisions(after, before)
        applied = tuple(reversed([s.revision for s in scripts if s.revision != before]))
    return Upgraded(before=before, after=after, applied=applied)


def current_tables(engine: Engine) -> set[str]:
    """Names of the tables that exist (for readiness checks)."""
    return set(inspect(engine).get_table_names())

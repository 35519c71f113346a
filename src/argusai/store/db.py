"""Engine and session factory; SQLite gets WAL and a busy timeout for web + worker.

A bad ``ARGUS_DATABASE_URL`` or ``ARGUS_DATA_DIR`` is a ``ConfigError`` naming the variable
(never a driver traceback): when the engine is made (unparsable URL, unsupported database,
missing driver, a SQLite file in a folder that does not exist), and at ``Database.ping``
(nothing answers, the database does not exist, access refused).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from argusai.errors import ConfigError

if TYPE_CHECKING:
    from argusai.settings import Settings

DATABASE_VAR = "ARGUS_DATABASE_URL"
SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"
#: database files hold webhook payloads, tokens' hashes and review texts: owner only
FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_data_dir(path: Path) -> None:
    """Create the data dir (owner-only, 0700) if needed; ConfigError naming ARGUS_DATA_DIR."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"ARGUS_DATA_DIR: cannot create {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"ARGUS_DATA_DIR: {path} is not writable")


def create_private_file(path: Path | str) -> None:
    """Create an empty file readable by its owner only (0600), unless it exists."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"{DATABASE_VAR}: {url!r} is not a database URL (use {SUPPORTED})"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"{DATABASE_VAR}: unsupported database {backend!r} (ArgusAI runs on {SUPPORTED})"
        )
    return parsed


def _sqlite_file(parsed: URL) -> Path | None:
    """The database file of a SQLite URL (None for in-memory or ``file:`` URIs)."""
    database = parsed.database
    if (
        not database
        or database == ":memory:"
        or parsed.query.get("uri")
        or database.startswith("file:")
    ):
        return None
    return Path(database)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite files get WAL, busy waits and mode 0600.

    A SQLite file's folder is never created here: a typo in ``ARGUS_DATABASE_URL`` must not
    leave a fresh, empty database somewhere unexpected (the data dir is made by the caller).
    """
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            path = _sqlite_file(parsed)
            if path is not None:
                event.listen(engine, "do_connect", lambda *_args: _sqlite_precreate(path))
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            connect_args={"connect_timeout": 10},
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"{DATABASE_VAR}: no driver for {parsed.drivername!r} ({exc}); use {SUPPORTED}"
        ) from None


def _sqlite_precreate(path: Path) -> None:
    if path.exists():
        return
    if not path.parent.is_dir():
        raise ConfigError(
            f"{DATABASE_VAR}: folder {path.parent} does not exist (create it, or leave "
            f"{DATABASE_VAR} unset to use the data dir)"
        )
    try:
        create_private_file(path)  # SQLite's own -wal and -shm files copy this mode
    except OSError as exc:
        raise ConfigError(f"{DATABASE_VAR}: cannot create {path}: {exc.strerror or exc}") from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def failure_reason(exc: DBAPIError) -> str:
    """The driver's reason on one line, without SQLAlchemy's wrapping and background link."""
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: <why>'
    if " failed: " in reason:
        reason = reason.rsplit(" failed: ", 1)[1]
    return reason.removeprefix("FATAL:").strip()


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler sleeps in 1–100 ms steps;
        # queueing this process's sessions on a lock instead keeps the tail short.
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._lock, self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        """Connect once; ConfigError naming ARGUS_DATABASE_URL when that fails."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            raise ConfigError(
                f"{DATABASE_VAR}: cannot open {where}: {failure_reason(exc)}"
            ) from None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """The data dir (0700) and a database that answers, migrated unless told not to."""
    ensure_data_dir(settings.data_dir)
    db = Database(settings.resolved_database_url())
    db.ping()
    if migrate:
        from argusai.store.migrate import upgrade

        upgrade(db.engine)
    return db

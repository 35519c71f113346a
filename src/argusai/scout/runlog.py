"""The JSONL run log: ``<data dir>/logs/YYYY/MM/DD/scout-<run id>-<timestamp>.jsonl``."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from argusai.core.closing import ClosesOnExit


def run_log_path(data_dir: Path, run_id: int, started: datetime) -> Path:
    """Where the log of run ``run_id`` goes."""
    day = data_dir / "logs" / f"{started:%Y}" / f"{started:%m}" / f"{started:%d}"
    return day / f"scout-{run_id}-{started:%Y%m%dT%H%M%SZ}.jsonl"


class RunLog(ClosesOnExit):
    """Appends one JSON object per line; thread-safe; flushed line by line (crash-proof)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` with a timestamp."""
        line = json.dumps({"t": datetime.now(UTC).isoformat(), **record}, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._file.close()

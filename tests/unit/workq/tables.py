"""Every work table, and how to make one fresh item in it (for the state-machine tests)."""

from __future__ import annotations

from typing import Any

from argusai.ci.models import CIRun
from argusai.store.db import Database
from argusai.store.models import Review
from argusai.workq.table import WorkTable

TABLES: dict[str, WorkTable] = {
    "review": WorkTable(Review),
    # "ci_run": WorkTable(CIRun),  (after the work-item columns migration)
}


def new_item(db: Database, table_name: str) -> Any:
    """Insert one queued item; its id."""
    with db.session() as s:
        if table_name == "review":
            row: Any = Review(installation_id=1, repo_name="o/r", pr_number=1, sha="a" * 40)
        else:
            row = CIRun(
                installation_id=1,
                repo_name="o/r",
                run_id=1,
                run_attempt=1,
                head_sha="a" * 40,
                conclusion="failure",
                pr_numbers={"numbers": []},
            )
        s.add(row)
        s.flush()
        return row.id

"""The one work-item state machine, as a hypothesis state machine, over every work table.

The model: who holds the lease, the attempts, the status. Each rule acts through
:mod:`argusai.workq.items` as a worker would, and the rule checks what the database says.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select, update

from argusai.store.db import Database
from argusai.store.migrate import upgrade
from argusai.store.models import DeadLetter, utcnow
from argusai.workq import items
from argusai.workq.table import WorkTable
from tests.unit.workq.tables import TABLES, new_item

MAX_RETRIES = 2
OWNERS = st.sampled_from(["w1", "w2", "w3"])


def machine_for(table_name: str, db: Database) -> type[RuleBasedStateMachine]:
    table: WorkTable = TABLES[table_name]
    words = table.words

    class WorkItemMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.db = db  # one migrated database; a fresh item per example
            self.item_id: Any = new_item(self.db, table_name)
            self.status = words.queued
            self.holder: str | None = None
            self.attempts = 0
            self.dead = 0

        def _row(self) -> Any:
            with self.db.session() as s:
                row = s.get(table.model, self.item_id)
                s.expunge(row)
                return row

        @rule(owner=OWNERS)
        def claim(self, owner: str) -> None:
            row = items.claim(self.db, table, self.item_id, 60, owner)
            if self.status in (words.queued, "expired"):
                assert row is not None
                self.status, self.holder, self.attempts = words.running, owner, self.attempts + 1
            else:
                assert row is None  # running under a live lease, or finished

        @precondition(lambda self: self.status == words.running)
        @rule()
        def lease_expires(self) -> None:
            with self.db.session() as s:
                s.execute(
                    update(table.model)
                    .where(table.col("id") == self.item_id)
                    .values(table.values(lease_expires_at=utcnow() - timedelta(seconds=1)))
                )
            self.status = "expired"

        @rule(owner=OWNERS)
        def heartbeat(self, owner: str) -> None:
            ok = items.extend_lease(self.db, table, self.item_id, 60, owner)
            mine = self.status in (words.running, "expired") and owner == self.holder
            assert ok == mine
            if ok:
                self.status = words.running

        @rule(owner=OWNERS, outcome=st.sampled_from(["done", "failed", "superseded"]))
        def finish(self, owner: str, outcome: str) -> None:
            status = getattr(words, outcome)
            ok = items.finish(self.db, table, self.item_id, owner, status, error="e" * 3000)
            mine = self.status in (words.running, "expired") and owner == self.holder
            assert ok == mine
            if ok:
                self.status, self.holder = status, None
                assert len(table.get(self._row(), "error_message")) <= table.error_limit

        @rule(owner=OWNERS)
        def retry_later(self, owner: str) -> None:
            again = items.retry_later(
                self.db,
                table,
                table_name,
                self.item_id,
                owner,
                error="boom",
                max_retries=MAX_RETRIES,
                delay=0,
            )
            mine = self.status in (words.running, "expired") and owner == self.holder
            if not mine:
                assert not again
                return
            if self.attempts > MAX_RETRIES:
                assert not again
                self.status, self.holder, self.dead = words.failed, None, self.dead + 1
            else:
                assert again
                self.status, self.holder = words.queued, None

        @rule(owner=OWNERS)
        def defer(self, owner: str) -> None:
            ok = items.defer(self.db, table, self.item_id, owner, reason="rate limit", delay=0)
            mine = self.status in (words.running, "expired") and owner == self.holder
            assert ok == mine
            if ok:  # a wait gives the attempt back
                self.status, self.holder, self.attempts = words.queued, None, self.attempts - 1

        @rule()
        def operator_retries_dead(self) -> None:
            ok = items.retry_dead(self.db, table, table_name, self.item_id)
            assert ok == (self.status == words.failed)
            if ok:
                self.status, self.attempts = words.queued, 0

        @rule()
        def sweep(self) -> None:
            due = items.due_for_dispatch(self.db, table, stale_after=timedelta(0), limit=10**6)
            assert (self.item_id in due) == (self.status in (words.queued, "expired"))

        @invariant()
        def database_agrees(self) -> None:
            if not hasattr(self, "db"):
                return
            row = self._row()
            expected = words.running if self.status == "expired" else self.status
            assert table.get(row, "status") == expected
            assert table.get(row, "attempts") == self.attempts
            if self.status in (words.running, "expired"):
                assert table.get(row, "lease_owner") == self.holder
            with self.db.session() as s:
                open_letters = s.scalar(
                    select(func.count())
                    .select_from(DeadLetter)
                    .where(
                        DeadLetter.kind == table_name,
                        DeadLetter.item_id == self.item_id,
                        DeadLetter.retried_at.is_(None),
                    )
                )
            assert open_letters == (1 if self.status == words.failed and self.dead else 0)

    return WorkItemMachine


@pytest.mark.parametrize("table_name", sorted(TABLES))
def test_state_machine(table_name: str, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'argus.db'}")
    upgrade(db.engine)
    machine = machine_for(table_name, db)
    machine.TestCase.settings = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    try:
        machine.TestCase().runTest()
    finally:
        db.dispose()

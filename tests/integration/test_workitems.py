"""The review work item state machine on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from threading import Barrier, Thread

import pytest
from sqlalchemy import update

from argusai.jobs import workitems
from argusai.jobs.workitems import ReviewRequest
from argusai.store.db import Database
from argusai.store.migrate import upgrade
from argusai.store.models import Review, ReviewStatus, utcnow


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'argus.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    upgrade(database.engine)
    yield database
    database.dispose()


def _req(sha: str = "a" * 40, pr: int = 7) -> ReviewRequest:
    return ReviewRequest(
        installation_id=1, repo_name="o/r", pr_number=pr, sha=sha, trigger="pull_request.opened"
    )


def test_migrations_are_idempotent(db: Database) -> None:
    upgrade(db.engine)  # second run is a no-op


def test_claim_is_exclusive_across_threads(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    barrier = Barrier(6)
    wins: list[int] = []

    def contend() -> None:
        barrier.wait()
        if workitems.claim(db, review_id, lease_seconds=60) is not None:
            wins.append(1)

    threads = [Thread(target=contend) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    got = workitems.get_review(db, review_id)
    assert got is not None and got.status == "running" and got.attempts == 1


def test_newer_head_supersedes_and_stale_item_cannot_post(db: Database) -> None:
    old = workitems.enqueue_review(db, _req("a" * 40))
    assert old is not None
    assert workitems.claim(db, old, 60) is not None
    assert workitems.still_current(db, old)
    new = workitems.enqueue_review(db, _req("b" * 40))
    assert new is not None
    assert not workitems.still_current(db, old)
    old_row = workitems.get_review(db, old)
    assert old_row is not None and old_row.status == "superseded"
    assert workitems.claim(db, old, 60) is None
    # the same head again is not queued twice
    assert workitems.enqueue_review(db, _req("b" * 40)) is None


def test_transient_failures_retry_then_dead_letter_then_manual_retry(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    for attempt in range(1, 4):
        assert workitems.claim(db, review_id, 60) is not None
        again = workitems.retry_later(
            db, review_id, error=f"502 #{attempt}", max_retries=2, delay=0
        )
        assert again is (attempt <= 2)
    row = workitems.get_review(db, review_id)
    assert row is not None and row.status == "failed"
    assert "gave up after 3 attempts: 502 #3" in (row.error_message or "")
    dead = workitems.list_dead(db)
    assert [(d.item_id, d.reason) for d, _ in dead] == [(review_id, "502 #3")]

    assert workitems.retry_dead(db, review_id)
    assert workitems.list_dead(db) == []
    row = workitems.get_review(db, review_id)
    assert row is not None and (row.status, row.attempts) == ("queued", 0)
    assert not workitems.retry_dead(db, review_id)  # not failed any more


def test_delayed_retry_is_not_claimable_early(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    workitems.claim(db, review_id, 60)
    workitems.retry_later(db, review_id, error="429", max_retries=5, delay=120)
    assert workitems.claim(db, review_id, 60) is None
    assert review_id not in workitems.due_for_dispatch(db, stale_after=timedelta(0))


def test_sweeper_finds_undispatched_and_abandoned_items(db: Database) -> None:
    lost = workitems.enqueue_review(db, _req("a" * 40, pr=1))
    abandoned = workitems.enqueue_review(db, _req("b" * 40, pr=2))
    fresh = workitems.enqueue_review(db, _req("c" * 40, pr=3))
    assert lost and abandoned and fresh
    workitems.mark_dispatched(db, fresh)
    workitems.mark_dispatched(db, abandoned)
    assert workitems.claim(db, abandoned, lease_seconds=60) is not None
    due = workitems.due_for_dispatch(db, stale_after=timedelta(minutes=5))
    assert due == [lost]
    # the worker holding ``abandoned`` dies: its lease runs out
    with db.session() as s:
        s.execute(
            update(Review)
            .where(Review.id == abandoned)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert workitems.due_for_dispatch(db, stale_after=timedelta(minutes=5)) == [lost, abandoned]
    again = workitems.claim(db, abandoned, 60)
    assert again is not None and again.attempts == 2


def test_a_worker_whose_lease_was_taken_over_can_neither_post_nor_close(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    assert workitems.claim(db, review_id, 60, owner="slow") is not None
    assert workitems.extend_lease(db, review_id, 60, "slow")
    with db.session() as s:  # the slow worker stopped heart-beating
        s.execute(
            update(Review)
            .where(Review.id == review_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert workitems.claim(db, review_id, 60, owner="rescuer") is not None
    assert not workitems.still_current(db, review_id, "slow")
    assert workitems.still_current(db, review_id, "rescuer")
    assert not workitems.extend_lease(db, review_id, 60, "slow")
    workitems.finish(db, review_id, ReviewStatus.FAILED, "late", owner="slow")
    assert not workitems.retry_later(
        db, review_id, error="late", max_retries=5, delay=0, owner="slow"
    )
    row = workitems.get_review(db, review_id)
    assert row is not None and (row.status, row.lease_owner) == ("running", "rescuer")


def test_heartbeat_keeps_the_lease_alive(db: Database) -> None:
    import time

    from argusai.jobs.heartbeat import Heartbeat

    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    workitems.claim(db, review_id, lease_seconds=3, owner="w")
    with Heartbeat(db, review_id, lease_seconds=3, owner="w") as beat:
        time.sleep(4.5)  # longer than the lease: only the heartbeats keep it
        assert workitems.due_for_dispatch(db, stale_after=timedelta(minutes=5)) == []
    assert not beat.lost

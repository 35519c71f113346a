"""Review work items on the one queue's state machine, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from threading import Barrier, Thread

import pytest
from sqlalchemy import select, update

from argusai.review import items as workitems
from argusai.review.items import REVIEWS, ReviewRequest
from argusai.store.db import Database
from argusai.store.migrate import upgrade
from argusai.store.models import DeadLetter, Review, utcnow
from argusai.workq import items
from argusai.workq.heartbeat import Heartbeat


def claim(db: Database, review_id: int, lease_seconds: int, owner: str = "w") -> Review | None:
    row: Review | None = items.claim(db, REVIEWS, review_id, lease_seconds, owner)
    return row


def retry_later(
    db: Database, review_id: int, *, error: str, max_retries: int, delay: float, owner: str = "w"
) -> bool:
    return items.retry_later(
        db, REVIEWS, "review", review_id, owner, error=error, max_retries=max_retries, delay=delay
    )


def due(db: Database, stale_after: timedelta) -> list[int]:
    return items.due_for_dispatch(db, REVIEWS, stale_after=stale_after)


def open_dead_letters(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        rows = s.scalars(select(DeadLetter).where(DeadLetter.retried_at.is_(None))).all()
        return [(d.item_id, d.reason) for d in rows]


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
        if items.claim(db, REVIEWS, review_id, 60, owner=f"w{len(wins)}") is not None:
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
    assert claim(db, old, 60) is not None
    assert workitems.still_current(db, old, "w")
    new = workitems.enqueue_review(db, _req("b" * 40))
    assert new is not None
    assert not workitems.still_current(db, old, "w")
    old_row = workitems.get_review(db, old)
    assert old_row is not None and old_row.status == "superseded"
    assert claim(db, old, 60) is None
    # the same head again is not queued twice
    assert workitems.enqueue_review(db, _req("b" * 40)) is None


def test_transient_failures_retry_then_dead_letter_then_manual_retry(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    for attempt in range(1, 4):
        assert claim(db, review_id, 60) is not None
        again = retry_later(db, review_id, error=f"502 #{attempt}", max_retries=2, delay=0)
        assert again is (attempt <= 2)
    row = workitems.get_review(db, review_id)
    assert row is not None and row.status == "failed"
    assert "gave up after 3 attempts: 502 #3" in (row.error_message or "")
    assert open_dead_letters(db) == [(str(review_id), "502 #3")]

    assert items.retry_dead(db, REVIEWS, "review", review_id)
    assert open_dead_letters(db) == []
    row = workitems.get_review(db, review_id)
    assert row is not None and (row.status, row.attempts) == ("queued", 0)
    assert not items.retry_dead(db, REVIEWS, "review", review_id)  # not failed any more


def test_delayed_retry_is_not_claimable_early(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    claim(db, review_id, 60)
    retry_later(db, review_id, error="429", max_retries=5, delay=120)
    assert claim(db, review_id, 60) is None
    assert review_id not in due(db, timedelta(0))


def test_sweeper_finds_undispatched_and_abandoned_items(db: Database) -> None:
    lost = workitems.enqueue_review(db, _req("a" * 40, pr=1))
    abandoned = workitems.enqueue_review(db, _req("b" * 40, pr=2))
    fresh = workitems.enqueue_review(db, _req("c" * 40, pr=3))
    assert lost and abandoned and fresh
    items.mark_dispatched(db, REVIEWS, fresh)
    items.mark_dispatched(db, REVIEWS, abandoned)
    assert claim(db, abandoned, 60) is not None
    assert due(db, timedelta(minutes=5)) == [lost]
    # the worker holding ``abandoned`` dies: its lease runs out
    with db.session() as s:
        s.execute(
            update(Review)
            .where(Review.id == abandoned)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert sorted(due(db, timedelta(minutes=5))) == [lost, abandoned]
    again = claim(db, abandoned, 60)
    assert again is not None and again.attempts == 2


def test_a_worker_whose_lease_was_taken_over_can_neither_post_nor_close(db: Database) -> None:
    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    assert claim(db, review_id, 60, owner="slow") is not None
    assert items.extend_lease(db, REVIEWS, review_id, 60, "slow")
    with db.session() as s:  # the slow worker stopped heart-beating
        s.execute(
            update(Review)
            .where(Review.id == review_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert claim(db, review_id, 60, owner="rescuer") is not None
    assert not workitems.still_current(db, review_id, "slow")
    assert workitems.still_current(db, review_id, "rescuer")
    assert not items.extend_lease(db, REVIEWS, review_id, 60, "slow")
    assert not items.finish(db, REVIEWS, review_id, "slow", "failed", error="late")
    assert not items.defer(db, REVIEWS, review_id, "slow", reason="late", delay=0)
    assert not retry_later(db, review_id, error="late", max_retries=5, delay=0, owner="slow")
    row = workitems.get_review(db, review_id)
    assert row is not None and (row.status, row.lease_owner) == ("running", "rescuer")


def test_heartbeat_keeps_the_lease_alive(db: Database) -> None:
    import time

    review_id = workitems.enqueue_review(db, _req())
    assert review_id is not None
    claim(db, review_id, 3, owner="w")
    with Heartbeat(db, REVIEWS, review_id, lease_seconds=3, owner="w") as beat:
        time.sleep(4.5)  # longer than the lease: only the heartbeats keep it
        assert due(db, timedelta(minutes=5)) == []
    assert not beat.lost

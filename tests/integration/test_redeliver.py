"""Missed-delivery redelivery against the fake GitHub: failed ones asked for once each."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from argusai.app import build_runtime
from argusai.deliveries.maintenance import REDELIVER_TASK, run_redelivery
from argusai.deliveries.redeliver import candidates, redeliver_failed
from argusai.store.migrate import upgrade
from argusai.store.models import RedeliveryRequest, utcnow
from tests.conftest import make_settings
from tests.support import FakeWorld, worker_queue

APP_ID = 4242
DAY = 24 * 3600


def add(world: FakeWorld, guid: str, status: int = 200, *, age: float = 60, **kw: object) -> int:
    """A delivery in GitHub's log of the App, ``age`` seconds ago."""
    delivery_id = world.gh.add_delivery(guid, "pull_request", status_code=status, **kw)  # type: ignore[arg-type]
    # the fake stamps "now"; move the delivery into the past
    with world.gh.lock:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age))
        world.gh._deliveries[delivery_id]["delivered_at"] = stamp
    return delivery_id


def requested_rows(world: FakeWorld) -> list[int]:
    return sorted(r.delivery_id for r in world.rows(RedeliveryRequest))


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    return make_world(app_id=APP_ID)


def test_failed_deliveries_are_redelivered_once(world: FakeWorld) -> None:
    ok = add(world, "g-ok", 202)
    failed = add(world, "g-500", 500)
    timeout = add(world, "g-timeout", 0)
    old = add(world, "g-old", 503, age=3 * DAY + 60)
    report = run_redelivery(world.rt)
    assert report is not None
    assert sorted(world.gh.redeliveries()) == sorted([failed, timeout])
    assert old in report.too_old and ok not in report.requested
    assert requested_rows(world) == sorted([failed, timeout])

    again = run_redelivery(world.rt)
    assert again is not None and again.requested == []
    assert sorted(world.gh.redeliveries()) == sorted([failed, timeout])  # nothing new


def test_event_that_later_succeeded_is_not_redelivered(world: FakeWorld) -> None:
    add(world, "g-1", 502)
    add(world, "g-1", 200, redelivery=True)  # someone redelivered it by hand, and it worked
    run_redelivery(world.rt)
    assert world.gh.redeliveries() == []


def test_a_failed_redelivery_of_an_event_we_asked_for_is_not_asked_again(world: FakeWorld) -> None:
    first = add(world, "g-1", 500)
    run_redelivery(world.rt)
    assert world.gh.redeliveries() == [first]
    add(world, "g-1", 500, redelivery=True)  # GitHub's redelivery failed too
    run_redelivery(world.rt)
    assert world.gh.redeliveries() == [first]  # once per event, no loop every 10 minutes


def test_several_failed_attempts_of_one_event_ask_once_for_the_newest(world: FakeWorld) -> None:
    add(world, "g-1", 500, age=600)
    newest = add(world, "g-1", 503, age=300, redelivery=True)
    run_redelivery(world.rt)
    assert world.gh.redeliveries() == [newest]


def test_github_error_on_redeliver_is_logged_and_retried_next_run(world: FakeWorld) -> None:
    failed = add(world, "g-1", 500)
    world.gh.fail("POST", "/app/hook/deliveries/*/attempts", 422)
    with capture_logs() as logs:
        report = run_redelivery(world.rt)
    assert report is not None and report.errors == [failed]
    assert world.gh.redeliveries() == []
    assert requested_rows(world) == []
    assert any(e["event"].startswith("redelivery refused") for e in logs)

    report = run_redelivery(world.rt)
    assert report is not None and report.requested == [failed]
    assert world.gh.redeliveries() == [failed]


def test_listing_failure_is_logged_not_raised(world: FakeWorld) -> None:
    add(world, "g-1", 500)
    world.gh.fail("GET", "/app/hook/deliveries", 404)
    with capture_logs() as logs:
        assert run_redelivery(world.rt) is None
    assert any(e["event"] == "redelivery run failed" for e in logs)
    run_redelivery(world.rt)
    assert len(world.gh.redeliveries()) == 1


def test_failed_delivery_on_a_later_page_is_found(world: FakeWorld) -> None:
    failed = add(world, "g-old-failure", 500, age=3600)
    for i in range(150):  # newer, successful: push the failure onto page 2
        add(world, f"g-{i}", 202)
    report = run_redelivery(world.rt)
    assert report is not None and report.listed == 151
    assert world.gh.redeliveries() == [failed]
    assert len(world.gh.requests("GET", "/app/hook/deliveries")) == 2


def test_another_worker_already_claimed_the_delivery(world: FakeWorld) -> None:
    failed = add(world, "g-1", 500)
    with world.rt.db.session() as s:  # inserted between our read and our claim
        s.add(RedeliveryRequest(delivery_id=failed, guid="other-guid", requested_at=utcnow()))
    report = redeliver_failed(world.rt.db, world.rt.github, limit=100)  # type: ignore[arg-type]
    assert report.requested == [] and failed in report.already_requested
    assert world.gh.redeliveries() == []


def test_unconfigured_app_is_skipped(tmp_path: Path) -> None:
    rt = build_runtime(make_settings(tmp_path))
    upgrade(rt.db.engine)
    assert run_redelivery(rt) is None
    rt.db.dispose()


def test_old_request_rows_are_forgotten(world: FakeWorld) -> None:
    with world.rt.db.session() as s:
        s.add(RedeliveryRequest(delivery_id=1, guid="x", requested_at=utcnow() - timedelta(days=5)))
        s.add(RedeliveryRequest(delivery_id=2, guid="y", requested_at=utcnow()))
    run_redelivery(world.rt)
    assert requested_rows(world) == [2]


def test_candidates_skip_unreadable_timestamps() -> None:
    from argusai.github.parse import HookDelivery

    bad = HookDelivery(
        id=1,
        guid="g",
        event="push",
        action=None,
        status_code=500,
        delivered_at="yesterday",
        redelivery=False,
        installation_id=None,
    )
    todo, report = candidates([bad], set(), utcnow())
    assert todo == [] and report.too_old == [1]


def test_periodic_task_is_registered_and_runs(world: FakeWorld) -> None:
    tasks = worker_queue(world.rt)
    failed = add(world, "g-1", 500)
    due = tasks.huey.read_periodic(datetime(2026, 1, 1, 12, 10))  # every 10 minutes
    assert REDELIVER_TASK in [t.name for t in due]
    later = tasks.huey.read_periodic(datetime(2026, 1, 1, 12, 11))
    assert REDELIVER_TASK not in [t.name for t in later]
    tasks.huey.execute(next(t for t in due if t.name == REDELIVER_TASK))
    assert world.gh.redeliveries() == [failed]

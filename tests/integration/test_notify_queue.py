"""Notifications through the real runtime and work queue: routing, once per event, digests,
the hourly limit, retries then a dead letter (never notified about itself), and events from
each producer — a review that dies, critical findings, a CI explanation, a scout run, a
tenant's quota. Receivers are local fakes on 127.0.0.1, allowed by ARGUS_NOTIFY_ALLOWLIST.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from argusai.ciapi.callbacks import SIGNATURE_HEADER, verify
from argusai.notify import events
from argusai.notify.deadletters import notify_dead_letters
from argusai.notify.emit import NOTIFICATION, emit
from argusai.notify.models import Notification, NotifyEvent
from argusai.notify.routes import add_route
from argusai.store.models import DeadLetter, Review, utcnow
from tests.fakes.fake_notify import SLACK_PATH, Receiver, point_apprise_at, receiver
from tests.support import FakeWorld

SECRET = "whsec-notify-queue-0123456789"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
WEB = "https://github.com"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with receiver() as got:
        point_apprise_at(monkeypatch, got.base_url)
        yield got


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    # no digest window here: each event is its own message (digests have their own test)
    return make_world(notify_allowlist=("127.0.0.1",), job_max_retries=2, notify_digest_seconds=0)


def webhook(world: FakeWorld, fake: Receiver, **scope: Any) -> None:
    add_route(world.rt.db, world.settings, f"{fake.base_url}/hook", secret=SECRET, **scope)


def failed(repo: str = "acme/app", review_id: int = 1, pr: int = 3) -> events.Event:
    return events.review_failed(
        web_url=WEB,
        repo=repo,
        pr=pr,
        sha="a" * 40,
        review_id=review_id,
        reason="the repository config is invalid",
        installation_id=11,
    )


def letter(n: int) -> events.Event:
    return events.dead_letter(
        letter_id=n,
        work_kind="ci_run",
        item_id=str(n),
        what=f"acme/app run {n}/1",
        reason="GitHub answered 502",
        attempts=3,
        scope={"repo": "acme/app", "installation_id": 11},
    )


def run_all(world: FakeWorld, rounds: int = 6) -> None:
    """Drain the queue, scheduled retries included, as the worker would over time."""
    for _ in range(rounds):
        world.run_worker()
        for task in world.rt.huey.scheduled():
            world.rt.huey.execute(task)
        world.rt.huey.storage.flush_schedule()


def bodies(fake: Receiver, path: str = "/hook") -> list[dict[str, Any]]:
    got = fake.on(path)
    for request in got:  # every webhook delivery is signed
        assert verify(SECRET, request.body, request.headers[SIGNATURE_HEADER.lower()])
    return [r.json for r in got]


def test_routes_pick_the_channels_and_each_event_goes_once(
    world: FakeWorld, fake: Receiver
) -> None:
    webhook(world, fake, scope="repository", key="Acme/App", events="review_failed")
    add_route(world.rt.db, world.settings, SLACK)  # global, every event
    assert emit(world.rt, failed()) == 2
    assert emit(world.rt, failed()) == 0  # the same event again: already there
    world.run_worker()
    (sent,) = bodies(fake)
    assert sent["kind"] == "review_failed" and sent["title"] == "Review failed: acme/app#3"
    assert sent["events"][0]["link"] == "https://github.com/acme/app/pull/3"
    assert len(fake.on(SLACK_PATH)) == 1
    # another repository: only the global channel; another kind: not the webhook
    emit(world.rt, failed(repo="acme/other", review_id=2))
    emit(
        world.rt,
        events.scout_finished(
            run_id=1, outcome="done", requests=3, not_modified=1, queued=2, skipped=0
        ),
    )
    world.run_worker()
    assert len(bodies(fake)) == 1
    assert len(fake.on(SLACK_PATH)) == 3
    emit(world.rt, failed())  # sent before: never again, even later
    world.run_worker()
    assert len(bodies(fake)) == 1


def test_a_burst_is_the_first_message_then_one_digest(
    make_world: Callable[..., FakeWorld], fake: Receiver
) -> None:
    world = make_world(notify_allowlist=("127.0.0.1",), notify_digest_seconds=300)
    webhook(world, fake)
    emit(world.rt, letter(1))
    world.run_worker()  # the first goes out at once
    for n in range(2, 6):
        emit(world.rt, letter(n))
    world.run_worker()
    (first,) = bodies(fake)
    assert first["count"] == 1 and first["events"][0]["key"] == "dead_letter:1"
    sent, digest = world.rows(Notification)
    assert sent.status == "done"
    assert (digest.status, digest.events_count) == ("queued", 4)
    assert digest.next_attempt_at >= sent.next_attempt_at + timedelta(seconds=299)
    emit(world.rt, letter(6))  # joins the waiting digest
    # the window passes
    with world.rt.db.session() as s:
        s.execute(
            update(Notification)
            .where(Notification.id == digest.id)
            .values(next_attempt_at=utcnow())
        )
    assert world.queue.run(NOTIFICATION, digest.id) == "done"
    _, second = bodies(fake)
    assert second["digest"] is True and second["count"] == 5
    assert second["title"] == "ArgusAI: 5 dead letters"
    assert [e["key"] for e in second["events"]] == [f"dead_letter:{n}" for n in range(2, 7)]
    assert len(world.rows(Notification)) == 2


def test_a_channel_over_its_hourly_limit_waits_and_gathers(
    make_world: Callable[..., FakeWorld], fake: Receiver
) -> None:
    world = make_world(
        notify_allowlist=("127.0.0.1",), notify_max_per_hour=1, notify_digest_seconds=0
    )
    webhook(world, fake)
    emit(world.rt, failed())
    world.run_worker()
    emit(world.rt, letter(1))
    world.run_worker()
    assert len(bodies(fake)) == 1
    held = world.rows(Notification)[-1]
    assert held.status == "queued" and held.attempts == 0  # no retry spent
    assert "deferred: 1 notifications this hour" in (held.error_message or "")
    emit(world.rt, letter(2))  # joins the held message
    assert world.rows(Notification)[-1].events_count == 2


def test_failures_are_retried_then_dead_lettered_and_never_notified_about(
    world: FakeWorld, fake: Receiver
) -> None:
    webhook(world, fake)
    fake.always = 503
    emit(world.rt, failed())
    run_all(world)
    assert len(fake.on("/hook")) == 3  # job_max_retries=2: three attempts
    (row,) = world.rows(Notification)
    assert row.status == "failed" and "answered 503" in (row.error_message or "")
    (dead,) = world.rows(DeadLetter)
    assert dead.kind == NOTIFICATION
    assert notify_dead_letters(world.rt) == 0  # no notification about a notification
    run_all(world)
    assert len(world.rows(Notification)) == 1 and len(fake.on("/hook")) == 3
    fake.always = 200
    assert world.queue.retry_dead(NOTIFICATION, str(row.id))  # argus jobs retry
    run_all(world)
    assert world.rows(Notification)[0].status == "done"


def test_a_refused_channel_fails_at_once(
    make_world: Callable[..., FakeWorld], fake: Receiver
) -> None:
    """ARGUS_NOTIFY_URLS is not checked when read: a loopback webhook there is refused when
    sending (no allowlist), without retries."""
    world = make_world(notify_urls=f"{fake.base_url}/hook", notify_webhook_secret=SECRET)
    emit(world.rt, failed())
    run_all(world)
    (row,) = world.rows(Notification)
    assert row.status == "failed" and row.attempts == 1
    assert "non-public address" in (row.error_message or "")
    assert fake.got == [] and world.rows(DeadLetter) == []


def test_the_settings_channels_are_global_routes(
    make_world: Callable[..., FakeWorld], fake: Receiver
) -> None:
    world = make_world(
        notify_allowlist=("127.0.0.1",),
        notify_urls=f"{SLACK},{fake.base_url}/hook",
        notify_webhook_secret=SECRET,
        notify_events=("quota", "review_failed"),
    )
    emit(world.rt, failed())
    emit(world.rt, letter(1))  # not one of ARGUS_NOTIFY_EVENTS
    world.run_worker()
    assert [b["kind"] for b in bodies(fake)] == ["review_failed"]
    assert len(fake.on(SLACK_PATH)) == 1


# ---- the producers ----------------------------------------------------------------


OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PATCH = (
    "@@ -1,3 +1,4 @@\n import os\n+query = 'SELECT * FROM t WHERE id=' + user_id\n x = 1\n y = 2"
)


def opened(world: FakeWorld) -> None:
    from tests.conftest import SHARED, shared_path
    from tests.support import load_fixture

    shared_path("fixtures", "webhooks")
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(
        OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD, title="Add a query", body=""
    )
    response = world.deliver("pull_request", load_fixture(SHARED, "pull_request", "opened.json"))
    assert response.status_code == 202


def test_a_review_that_dies_is_one_notification(world: FakeWorld, fake: Receiver) -> None:
    webhook(world, fake, scope="repository", key=f"{OWNER}/{NAME}")
    world.gh.fail("GET", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}", 502, times=50)
    opened(world)
    run_all(world)
    (review,) = world.rows(Review)
    assert review.status == "failed"
    (dead,) = world.rows(DeadLetter)
    assert dead.kind == "review"
    (sent,) = bodies(fake)
    assert sent["kind"] == "dead_letter"
    assert sent["title"] == f"Dead letter: review {OWNER}/{NAME}#{NUMBER} @ {HEAD[:10]}"
    assert f"argus jobs retry {review.id} --kind review" in sent["text"]
    assert sent["events"][0]["installation_id"] == 1
    notify_dead_letters(world.rt)  # the periodic scan finds the same letter: nothing new
    run_all(world)
    assert len(bodies(fake)) == 1


def test_critical_findings_are_notified_after_the_review_is_posted(
    world: FakeWorld, fake: Receiver
) -> None:
    webhook(world, fake, scope="installation", key="1")
    world.llm.responder = lambda _req: {
        "summary": "Builds SQL from user input.",
        "findings": [
            {
                "path": "app.py",
                "line": 2,
                "start_line": None,
                "severity": "critical",
                "category": "security",
                "title": "SQL injection @here",
                "message": "Use parameters.",
                "suggestion": None,
            }
        ],
    }
    opened(world)
    run_all(world)
    (sent,) = bodies(fake)
    assert sent["kind"] == "critical_findings"
    assert sent["title"] == f"1 critical finding(s) on {OWNER}/{NAME}#{NUMBER}"
    assert "app.py:2: SQL injection" in sent["text"] and "@here" not in sent["text"]


def test_a_ci_explanation_is_notified(world: FakeWorld, fake: Receiver) -> None:
    from argusai.ci.alerts import ci_run_closed
    from argusai.ci.models import CIRun

    webhook(world, fake, events="ci_explained")
    with world.rt.db.session() as s:
        run = CIRun(
            installation_id=1,
            repo_name="acme/app",
            run_id=99,
            run_attempt=1,
            workflow_name="tests",
            status="done",
            comment_ids={"4": 123},
            result={"jobs": [{}, {}], "skipped": 0},
        )
        s.add(run)
        s.flush()
        run_id = run.id
    ci_run_closed(lambda: world.rt)(run_id, "done")
    world.run_worker()
    (sent,) = bodies(fake)
    assert sent["title"] == "CI failure explained: acme/app tests"
    web = events.github_web_url(world.settings.github_api_url)  # the fake GitHub here
    assert sent["text"] == (
        f"Run 99 attempt 1: 2 failed job(s) explained on #4.\n{web}/acme/app/actions/runs/99"
    )


def test_a_finished_scout_run_is_notified_a_continued_one_is_not(
    world: FakeWorld, fake: Receiver
) -> None:
    from argusai.scout.alerts import notify_finished
    from argusai.scout.crawl import CrawlReport

    webhook(world, fake)
    notify_finished(
        world.rt, CrawlReport(1, "budget", 10, 4, 3, {"at": 1}, "/x.jsonl", continued=True)
    )
    notify_finished(world.rt, CrawlReport(2, "done", 7, 5, 2, None, "/y.jsonl"))
    world.run_worker()
    (sent,) = bodies(fake)
    assert sent["title"] == "Scout run 2 finished: done"
    assert sent["events"][0]["data"]["not_modified"] == 5


def test_a_tenant_hears_at_80_and_100_percent_once_each(world: FakeWorld, fake: Receiver) -> None:
    from argusai.ciapi import usage
    from argusai.ciapi.alerts import check_quota
    from argusai.ciapi.models import ApiUsage, Organization

    with world.rt.db.session() as s:
        s.add(Organization(id="tenant-1", name="Acme"))
        s.flush()
        s.add(ApiUsage(tenant_id="tenant-1", period=usage.period_of(), request_count=0))
    webhook(world, fake, scope="tenant", key="tenant-1")
    for used in range(1, 7):  # the sixth request was refused: the count stays at the quota
        with world.rt.db.session() as s:
            s.execute(update(ApiUsage).values(request_count=min(used, 5)))
        check_quota(world.rt, "tenant-1", 5)
        world.run_worker()
    check_quota(world.rt, "tenant-2", 5)  # no usage row: nothing
    world.run_worker()
    assert [b["title"] for b in bodies(fake)] == [
        f"Quota at 80 %: Acme ({usage.period_of()})",
        f"Quota used up: Acme ({usage.period_of()})",
    ]
    assert len(world.rows(NotifyEvent)) == 2


def test_once_digests_and_limits_on_postgresql(
    make_world: Callable[..., FakeWorld], postgres_url: str, fake: Receiver
) -> None:
    world = make_world(
        database_url=postgres_url,
        notify_allowlist=("127.0.0.1",),
        notify_digest_seconds=300,
        notify_max_per_hour=5,
    )
    webhook(world, fake)
    assert emit(world.rt, letter(1)) == 1
    world.run_worker()
    assert [emit(world.rt, letter(n)) for n in (2, 3, 3, 1)] == [1, 1, 0, 0]
    world.run_worker()
    assert len(bodies(fake)) == 1
    first, digest = world.rows(Notification)
    assert (first.status, digest.status, digest.events_count) == ("done", "queued", 2)
    assert world.queue.dead() == []

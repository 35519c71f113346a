"""The review path on the scale-out backends: PostgreSQL database + Redis or PostgreSQL queue.

Same real clients and fakes as test_review_e2e; only the URLs change, as in production.
"""

from __future__ import annotations

import pytest

from argusai.review import items as workitems
from argusai.store.models import Review
from tests.conftest import shared_path
from tests.integration.test_review_e2e import (
    HEAD,
    HEAD2,
    NAME,
    NUMBER,
    OWNER,
    PATCH_V1,
    PATCH_V2_NEW,
    finding,
    opened_payload,
)
from tests.support import FakeWorld

pytestmark = pytest.mark.services


@pytest.fixture(params=["redis", "postgres-queue"])
def world(request: pytest.FixtureRequest, postgres_url: str) -> FakeWorld:
    shared_path("fixtures", "webhooks")
    if request.param == "redis":
        queue_url = request.getfixturevalue("redis_url")
    else:
        queue_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    # asked for after the database and queue: the world closes before they are dropped
    world: FakeWorld = request.getfixturevalue("make_world")(
        database_url=postgres_url, queue_url=queue_url, llm_api_key="sk-backend-test-key"
    )
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH_V1}, head_sha=HEAD)
    return world


def test_review_then_incremental_push_on_scaleout_backends(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "v1", "findings": [finding(3, "SQL injection")]}
    assert world.deliver("pull_request", opened_payload(), delivery_id="b-1").status_code == 202
    assert world.deliver("pull_request", opened_payload(), delivery_id="b-1").json() == {
        "status": "duplicate"
    }
    world.run_worker()
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1

    world.gh.update_pull(
        OWNER, NAME, NUMBER, head_sha=HEAD2, files={"app.py": PATCH_V1, "lib.py": PATCH_V2_NEW}
    )
    world.gh.set_compare(OWNER, NAME, HEAD, HEAD2, files={"lib.py": PATCH_V2_NEW})
    world.llm.responder = lambda _req: {
        "summary": "v2",
        "findings": [finding(3, "SQL injection"), finding(11, "eval", "critical", path="lib.py")],
    }
    payload = opened_payload()
    payload["action"] = "synchronize"
    payload["pull_request"]["head"]["sha"] = HEAD2
    world.deliver("pull_request", payload)
    world.run_worker()
    comments = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert sorted((c["path"], c["line"]) for c in comments) == [("app.py", 3), ("lib.py", 11)]
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1
    assert [(r.status, r.incremental) for r in world.rows(Review)] == [
        ("done", False),
        ("done", True),
    ]


def test_lost_queue_message_is_recovered_by_the_sweeper(world: FakeWorld) -> None:
    from datetime import timedelta

    world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
    world.deliver("pull_request", opened_payload())
    world.rt.huey.flush()  # the queue loses the message (e.g. Redis restarted without persistence)
    assert world.run_worker() == 0
    (row,) = world.rows(Review)
    assert row.status == "queued"
    # the sweeper re-dispatches items whose message is older than its re-dispatch window
    with world.rt.db.session() as s:
        from sqlalchemy import update

        from argusai.store.models import utcnow

        s.execute(update(Review).values(dispatched_at=utcnow() - timedelta(minutes=10)))
    assert world.queue.sweep() == 1
    world.run_worker()
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    assert workitems.get_review(world.rt.db, row.id).status == "done"  # type: ignore[union-attr]

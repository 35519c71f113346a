"""A review under an experiment, end to end in the fake world: the arm is recorded on
the review and the arm's model answers; stopping and promoting change what comes next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from argusai.review import experiments
from argusai.review.experiments import Arm
from argusai.stats.experiments import report
from argusai.store.models import Review
from tests.conftest import SHARED
from tests.support import FakeWorld, load_fixture
from tests.support.answers import llm_finding

OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PATCH = (
    "@@ -1,3 +1,4 @@\n import os\n+query = 'SELECT * FROM t WHERE id=' + user_id\n x = 1\n y = 2"
)


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    world = make_world()
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD)
    world.llm.responder = lambda _req: {
        "summary": "Builds a query.",
        "findings": [llm_finding(2, "SQL injection", message="Use parameters.")],
    }
    return world


def review_once(world: FakeWorld, delivery: str) -> Review:
    payload: dict[str, Any] = load_fixture(SHARED, "pull_request", "opened.json")
    assert world.deliver("pull_request", payload, delivery_id=delivery).status_code == 202
    world.run_worker()
    return world.rows(Review)[-1]


def test_a_review_under_an_experiment_uses_and_records_its_arm(world: FakeWorld) -> None:
    db = world.rt.db
    arms = [Arm("a"), Arm("b", model="gpt-4o", verify=False)]
    experiments.create(db, "models", arms, [0, 100], [f"{OWNER}/{NAME}".lower()])

    row = review_once(world, "exp-1")
    assert (row.status, row.experiment_arm, row.model) == ("done", "models/b", "gpt-4o")
    assert {r.json["model"] for r in world.llm.review_requests} == {"gpt-4o"}
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1

    rep = report(db, experiments.get(db, "models"))
    by_arm = {a.arm.name: a for a in rep.arms}
    assert (by_arm["b"].reviews, by_arm["b"].findings, by_arm["a"].reviews) == (1, 1, 0)
    assert rep.leader is None and "needs 30 decided findings" in rep.verdict


def test_out_of_scope_and_stopped_experiments_leave_the_defaults(world: FakeWorld) -> None:
    db = world.rt.db
    experiments.create(db, "elsewhere", [Arm("a"), Arm("b", model="gpt-4o")], [0, 100], ["o/r"])
    experiments.create(db, "stopped", [Arm("a"), Arm("b", model="gpt-4o")], [0, 100], [])
    experiments.stop(db, "stopped")

    row = review_once(world, "exp-2")
    assert (row.experiment_arm, row.model) == (None, "gpt-4o-mini")
    assert {r.json["model"] for r in world.llm.review_requests} == {"gpt-4o-mini"}


def test_a_promoted_arm_is_the_default_and_is_not_an_arm(world: FakeWorld) -> None:
    db = world.rt.db
    experiments.create(db, "models", [Arm("a"), Arm("b", model="gpt-4o")], [100, 0], [])
    experiments.stop(db, "models", winner="b")

    row = review_once(world, "exp-3")
    assert (row.experiment_arm, row.model) == (None, "gpt-4o")
    assert {r.json["model"] for r in world.llm.review_requests} == {"gpt-4o"}

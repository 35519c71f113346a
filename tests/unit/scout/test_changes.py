"""Metadata hashes, priorities and the request budget."""

from __future__ import annotations

from datetime import datetime

from argusai.scout.budget import Budget
from argusai.scout.changes import IssueMeta, priority_from_recency


def _issue(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "number": 1,
        "id": 9,
        "title": "t",
        "state": "open",
        "labels": [{"name": "b"}, {"name": "a"}],
        "comments": 0,
        "assignees": [],
        "updated_at": "2026-01-01T00:00:00Z",
    }
    data.update(over)
    return data


def test_issue_hash_tracks_the_listed_fields_only() -> None:
    base = IssueMeta.from_api(_issue()).metadata_hash()
    assert IssueMeta.from_api(_issue(labels=[{"name": "a"}, {"name": "b"}])).metadata_hash() == base
    assert IssueMeta.from_api(_issue(body="changed")).metadata_hash() == base
    for change in (
        {"title": "u"},
        {"comments": 1},
        {"state": "closed"},
        {"assignees": [{"login": "x"}]},
        {"updated_at": "2026-01-02T00:00:00Z"},
    ):
        assert IssueMeta.from_api(_issue(**change)).metadata_hash() != base


def test_listable() -> None:
    assert IssueMeta.from_api(_issue()).listable
    assert not IssueMeta.from_api(_issue(assignees=[{"login": "x"}])).listable
    assert not IssueMeta.from_api(_issue(pull_request={})).listable


def test_priority_from_recency() -> None:
    now = datetime(2026, 3, 1)
    assert priority_from_recency(datetime(2026, 2, 28, 12), now) == 100
    assert priority_from_recency(datetime(2026, 2, 1), now) == 60
    assert priority_from_recency(datetime(2020, 1, 1), now) == 0
    assert priority_from_recency(None, now) == 0


def test_budget_limits_and_rate_limit() -> None:
    budget = Budget(3)
    assert budget.acquire(2)
    assert not budget.acquire(2)
    budget.answered(304, 1)
    budget.answered(200, 1)
    assert budget.not_modified == 1
    assert budget.acquire(1)
    assert not budget.acquire(1)  # the limit
    budget = Budget(None)
    budget.answered(200, 0) if budget.acquire(1) else None
    assert not budget.acquire(1)  # the rate limit has nothing left

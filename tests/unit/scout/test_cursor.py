"""The crawl cursor: what is left of a list after a cut-off, and the cursor that says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argusai.scout.cursor import Step, cursor_at, steps_from
from argusai.scout.gone import Mark, current, gone_until
from argusai.scout.sources.base import RepoRef

NAMES = ["a/a", "b/b", "c/c", "d/d", "e/e"]


def test_a_fresh_cursor_is_the_whole_list() -> None:
    steps = steps_from({"source": "s", "position": 0}, NAMES)
    assert [(s.position, s.page, s.resumed) for s in steps] == [(i, 0, False) for i in range(5)]


def test_cut_off_repositories_come_first_then_the_rest() -> None:
    cursor = {
        "source": "s",
        "position": 3,
        "full_name": "d/d",
        "partial": [
            {"full_name": "b/b", "page": 2, "seen": [4, 5], "issues_etag": "W/1"},
            {"full_name": "a/a", "page": 0, "seen": [], "issues_etag": None},
            {"full_name": "gone/now", "page": 1, "seen": [], "issues_etag": None},
        ],
    }
    steps = steps_from(cursor, NAMES)
    assert [(s.full_name, s.page, s.resumed) for s in steps] == [
        ("a/a", 0, True),
        ("b/b", 2, True),
        ("d/d", 0, False),
        ("e/e", 0, False),
    ]
    assert steps[1].seen == (4, 5) and steps[1].issues_etag == "W/1"


def test_the_position_follows_its_name_when_the_list_changed() -> None:
    cursor = {"source": "s", "position": 1, "full_name": "d/d", "partial": []}
    assert [s.full_name for s in steps_from(cursor, NAMES)] == ["d/d", "e/e"]


def test_an_older_cursor_reads_as_one_cut_off_repository() -> None:
    old = {
        "source": "s",
        "position": 2,
        "page": 3,
        "full_name": "c/c",
        "seen": [1],
        "issues_etag": "W/x",
    }
    steps = steps_from(old, NAMES)
    assert [(s.full_name, s.page, s.seen) for s in steps] == [
        ("c/c", 3, (1,)),
        ("d/d", 0, ()),
        ("e/e", 0, ()),
    ]


def test_the_cursor_names_every_repository_not_written_yet() -> None:
    steps = [Step(0, "a/a", 2, resumed=True), *(Step(i, NAMES[i]) for i in range(2, 5))]
    cut = [Step(2, "c/c", 1, (7,), "W/c", resumed=True)]
    skipped = [{"source": "s", "repo": "x/x", "error": "502"}]
    cursor = cursor_at("s", NAMES, steps, 3, cut, skipped)  # a/a, c/c and d/d written
    assert cursor == {
        "source": "s",
        "position": 4,
        "full_name": "e/e",
        "partial": [{"full_name": "c/c", "page": 1, "seen": [7], "issues_etag": "W/c"}],
        "skipped": skipped,
    }
    assert [s.full_name for s in steps_from(cursor, NAMES)] == ["c/c", "e/e"]
    # nothing written yet: the carried-over repository stays in the cursor
    first = cursor_at("s", NAMES, steps, 0, [], [])
    assert first["position"] == 2 and [p["full_name"] for p in first["partial"]] == ["a/a"]
    assert cursor_at("s", NAMES, steps, 4, [], [])["full_name"] is None


def test_gone_repositories_wait_a_week_and_moved_ones_take_their_new_name() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    ref = RepoRef("Old", "name", "good first issue", "good first issue")
    gone = {"old/name": Mark(404, None, now - timedelta(days=2))}
    assert gone_until(ref, gone, now) == now + timedelta(days=5)
    assert gone_until(ref, gone, now + timedelta(days=6)) is None
    assert gone_until(ref, gone, now.replace(tzinfo=None)) is not None  # naive UTC too
    moved = {"old/name": Mark(301, "new/home", now)}
    assert gone_until(ref, moved, now) is None
    assert current(ref, moved).full_name == "new/home"
    assert current(ref, moved).label == "good first issue"
    assert current(ref, {}) is ref

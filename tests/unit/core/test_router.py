"""The router: handlers by event, in registration order; None means 'not mine'."""

from __future__ import annotations

from sqlalchemy.orm import Session

from argusai.core.router import Delivery, Ignored, Recorded, Router, Work


class _Review:
    installation_id = 1
    repo_name = "o/r"

    def record(self, session: Session, delivery_id: str) -> Recorded:
        return Recorded(work=(Work("review", 7),), fields={"review_id": 7})


def test_handlers_run_for_their_event_only_in_order() -> None:
    router = Router()
    seen: list[str] = []

    def first(d: Delivery) -> _Review:
        seen.append(f"first:{d.action}")
        return _Review()

    def declines(d: Delivery) -> None:
        seen.append("declines")

    router.on("pull_request", first)
    router.on("pull_request", declines)
    router.on("workflow_run", lambda d: Ignored("not a failure"))
    intents = router.intents(Delivery("pull_request", "d1", {"action": "opened"}))
    assert seen == ["first:opened", "declines"]
    assert len(intents) == 1 and isinstance(intents[0], _Review)
    assert router.intents(Delivery("issues", "d2", {})) == []
    assert router.events() == ["pull_request", "workflow_run"]


def test_ignored_records_nothing_and_says_why() -> None:
    intent = Ignored("draft pull request", installation_id=3)
    assert intent.record(None, "d") == Recorded(ignored="draft pull request")  # type: ignore[arg-type]


def test_action_and_ids_are_read_only_when_they_fit_their_columns() -> None:
    assert Delivery("e", "d", {"action": "x" * 64}).key == "e." + "x" * 64
    assert Delivery("e", "d", {"action": "x" * 65}).action is None  # as long as its column
    assert Delivery("e", "d", {"action": 5}).key == "e"
    fits = Delivery("e", "d", {"installation": {"id": 7}, "repository": {"full_name": "o/r"}})
    assert (fits.installation_id, fits.repo_name) == (7, "o/r")
    assert Delivery("e", "d", {"installation": {"id": 2**63}}).installation_id is None
    assert Delivery("e", "d", {"repository": {"full_name": "a\x00b"}}).repo_name is None

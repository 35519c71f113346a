"""Talking to ArgusAI in the fake world: comment payloads built on GitHub's real ones
(../shared/fixtures/webhooks), an LLM that answers reviews and questions, a reviewed PR."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.conftest import shared_path
from tests.fakes.fake_llm import schema_name, user_prompt
from tests.support.runtime import load_fixture
from tests.support.world import FakeWorld

OWNER, NAME, NUMBER = "octo", "shop", 7
HEAD = "a" * 40
BASE = "b" * 40
BOT = "argusai[bot]"
# new-file lines: 1 import os, 2 query (added), 3 x = 1
PATCH = "@@ -1,2 +1,3 @@\n import os\n+query = 'SELECT * FROM t WHERE id = ' + user_id\n x = 1"
FILE_AT_HEAD = "import os\nquery = 'SELECT * FROM t WHERE id = ' + user_id\nx = 1\n"
FINDING = {
    "path": "app.py",
    "line": 2,
    "start_line": None,
    "severity": "high",
    "category": "security",
    "title": "SQL query built from user input",
    "message": "Concatenating user_id allows SQL injection; use a parameter.",
    "suggestion": None,
}
ANSWER = "Because `user_id` comes from the request, it can close the quote and add SQL."


def responder(request: dict[str, Any]) -> dict[str, Any]:
    """Reviews find FINDING; questions get ANSWER."""
    if schema_name(request) == "argus_answer":
        return {"answer": ANSWER}
    return {"summary": "Adds a query.", "findings": [FINDING]}


def answer_prompts(world: FakeWorld) -> list[str]:
    """The user prompts of the question-answering calls."""
    return [
        user_prompt(r.json)
        for r in world.llm.requests
        if isinstance(r.json, dict) and schema_name(r.json) == "argus_answer"
    ]


def setup(world: FakeWorld, *, number: int = NUMBER, head: str = HEAD) -> None:
    """The repository (once), PR ``number`` with PATCH, the file at its head, the LLM."""
    try:
        world.gh.repo(OWNER, NAME)
    except KeyError:
        world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(
        OWNER, NAME, number, files={"app.py": PATCH}, head_sha=head, base_sha=BASE,
        title="Look up rows by id",
    )  # fmt: skip
    world.gh.set_file(OWNER, NAME, "app.py", FILE_AT_HEAD, ref=head)
    world.llm.responder = responder


def pr_event(action: str, *, number: int = NUMBER, head: str = HEAD) -> dict[str, Any]:
    """A ``pull_request`` delivery (opened, synchronize, closed)."""
    return {
        "action": action,
        "number": number,
        "pull_request": {"number": number, "head": {"sha": head}, "state": "open"},
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }


def review_pr(world: FakeWorld, *, number: int = NUMBER, head: str = HEAD) -> dict[str, Any]:
    """Open and review the PR; ArgusAI's inline comment on the finding."""
    world.deliver("pull_request", pr_event("opened", number=number, head=head))
    world.run_worker()
    ours = [c for c in world.gh.review_comments(OWNER, NAME, number) if c["user"]["login"] == BOT]
    assert len(ours) == 1, ours
    return ours[0]


def _user(login: str) -> dict[str, Any]:
    kind = "Bot" if login.endswith("[bot]") else "User"
    return {"login": login, "id": abs(hash(login)) % 10**8, "type": kind}


def issue_comment(
    world: FakeWorld, body: str, *, author: str = "alice", number: int = NUMBER
) -> dict[str, Any]:
    """A conversation comment on the PR (seeded in the fake) and its ``issue_comment``
    delivery, from GitHub's own example payload."""
    comment_id = world.gh.add_issue_comment(OWNER, NAME, number, body, author=author)
    fixture = "created.with-installation.payload.json"
    payload = copy.deepcopy(load_fixture(shared_path("."), "issue_comment", fixture))
    payload["issue"]["number"] = number
    payload["issue"]["pull_request"] = {
        "url": f"https://api.github.com/repos/{OWNER}/{NAME}/pulls/{number}"
    }
    payload["comment"].update({"id": comment_id, "body": body, "user": _user(author)})
    payload["sender"] = _user(author)
    payload["repository"]["full_name"] = f"{OWNER}/{NAME}"
    payload["installation"]["id"] = 1
    return payload


def review_comment(
    world: FakeWorld,
    body: str,
    *,
    in_reply_to: int,
    author: str = "alice",
    number: int = NUMBER,
) -> dict[str, Any]:
    """A reply in a review thread (seeded in the fake) and its
    ``pull_request_review_comment`` delivery, from GitHub's own example payload."""
    comment_id = world.gh.add_review_reply(OWNER, NAME, number, in_reply_to, body, author=author)
    (stored,) = [c for c in world.gh.review_comments(OWNER, NAME, number) if c["id"] == comment_id]
    payload = copy.deepcopy(
        load_fixture(shared_path("."), "pull_request_review_comment", "created.json")
    )
    payload["comment"].update(
        {
            "id": comment_id,
            "body": body,
            "user": _user(author),
            "in_reply_to_id": in_reply_to,
            "path": stored["path"],
            "line": stored["line"],
            "original_line": stored["line"],
            "commit_id": stored["commit_id"],
            "original_commit_id": stored["commit_id"],
        }
    )
    payload["pull_request"]["number"] = number
    payload["sender"] = _user(author)
    payload["repository"]["full_name"] = f"{OWNER}/{NAME}"
    payload["installation"]["id"] = 1
    return payload


def thread_event(world: FakeWorld, root_id: int, action: str) -> dict[str, Any]:
    """``pull_request_review_thread`` (resolved / unresolved) for the thread of ``root_id``,
    shaped as GitHub sends it (the thread's comments, the root first)."""
    comments = world.gh.thread(OWNER, NAME, root_id)
    for c in comments:
        c.setdefault("original_line", c["line"])
        c.setdefault("original_commit_id", c["commit_id"])
        c["user"] = _user(c["user"]["login"])
    return {
        "action": action,
        "thread": {"node_id": f"PRRT_{uuid.uuid4().hex[:12]}", "comments": comments},
        "pull_request": {"number": NUMBER, "head": {"sha": HEAD}},
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
        "sender": _user("alice"),
    }


def replies_in_thread(world: FakeWorld, root_id: int) -> list[dict[str, Any]]:
    """ArgusAI's replies in the thread of ``root_id``."""
    return [
        c
        for c in world.gh.thread(OWNER, NAME, root_id)
        if c["id"] != root_id and c["user"]["login"] == BOT
    ]


def conversation_replies(world: FakeWorld, number: int = NUMBER) -> list[str]:
    """ArgusAI's conversation comments other than the summary."""
    return [
        c["body"]
        for c in world.gh.issue_comments(OWNER, NAME, number)
        if c["user"]["login"] == BOT and "argus:summary" not in c["body"]
    ]

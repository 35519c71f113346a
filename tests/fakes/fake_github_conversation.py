"""The fake GitHub's conversation endpoints (see ``fake_github``): one review comment,
replies in a review thread, reactions on conversation and review comments, and a
collaborator's permission.

Set-up (mixed into ``FakeGitHub``): :meth:`set_permission` (default ``read``, as GitHub
answers for anyone on a public repository), :meth:`add_review_reply`, :meth:`add_reaction`.
Inspection: :meth:`reactions`, :meth:`thread`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.fake_github_routes import Call, Reply
    from tests.fakes.fake_github_state import FakeRepo

ROLES = {  # role → (permission as the API folds it, role_name)
    "admin": ("admin", "admin"),
    "maintain": ("write", "maintain"),
    "write": ("write", "write"),
    "triage": ("read", "triage"),
    "read": ("read", "read"),
    "none": ("none", "none"),
}


@dataclass
class ConversationState:
    """Permissions per (repo, user) and reactions per (kind, comment id)."""

    permissions: dict[tuple[str, str], str] = field(default_factory=dict)
    reactions: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    next_reaction: int = 1


class ConversationFakeMixin:
    """Mixed into FakeGitHub (uses its ``lock``, ``repo`` and comment records)."""

    lock: Any  # FakeGitHub's, as are ``repo`` and ``_review_comment``
    bot_login: str
    repo: Callable[[str, str], FakeRepo]

    @property
    def _conv(self) -> ConversationState:
        state = self.__dict__.get("_conversation")
        if state is None:
            state = self.__dict__.setdefault("_conversation", ConversationState())
        return state

    # ---- set-up ----------------------------------------------------------------------

    def set_permission(self, owner: str, name: str, user: str, role: str) -> None:
        """``user``'s role on the repository: admin, maintain, write, triage, read, none."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        with self.lock:
            self._conv.permissions[(f"{owner}/{name}".lower(), user.lower())] = role

    def add_review_reply(
        self, owner: str, name: str, number: int, in_reply_to: int, body: str, *, author: str
    ) -> int:
        """Seed a reply in the review thread of comment ``in_reply_to``; its id."""
        with self.lock:
            repo = self.repo(owner, name)
            return int(_reply(self, repo, number, in_reply_to, body, author)["id"])

    def add_reaction(
        self, comment_id: int, content: str, *, user: str, review_comment: bool = True
    ) -> None:
        """Someone reacts to a comment (``+1``, ``-1``, ``eyes`` …)."""
        with self.lock:
            _react(self, "pulls" if review_comment else "issues", comment_id, content, user)

    # ---- inspection ------------------------------------------------------------------

    def reactions(self, comment_id: int, *, review_comment: bool = True) -> list[dict[str, Any]]:
        """The reactions on a comment (copies)."""
        with self.lock:
            kind = "pulls" if review_comment else "issues"
            return [dict(r) for r in self._conv.reactions.get((kind, comment_id), [])]

    def thread(self, owner: str, name: str, root_id: int) -> list[dict[str, Any]]:
        """A review thread: its root comment, then its replies (copies, oldest first)."""
        with self.lock:
            repo = self.repo(owner, name)
            return [
                {k: v for k, v in c.items() if not k.startswith("_")}
                for c in repo.review_comments.values()
                if c["id"] == root_id or c.get("in_reply_to_id") == root_id
            ]


def _reply(
    fake: Any, repo: FakeRepo, number: int, root_id: int, body: str, author: str
) -> dict[str, Any]:
    from tests.fakes.fake_github_routes import HttpError, not_found

    root = repo.review_comments.get(root_id)
    pull = repo.pulls.get(number)
    if root is None or pull is None or root["_pull"] != number:
        raise not_found()
    if root.get("in_reply_to_id") is not None:
        raise HttpError(422, "Validation Failed", errors=["in_reply_to must be a thread's root"])
    comment: dict[str, Any] = fake._review_comment(
        repo,
        pull,
        None,
        {"path": root["path"], "line": root["line"], "body": body, "side": root["side"]},
        author,
    )
    comment["in_reply_to_id"] = root_id
    comment["commit_id"] = root["commit_id"]
    return comment


def _react(fake: Any, kind: str, comment_id: int, content: str, user: str) -> tuple[bool, Any]:
    state: ConversationState = fake._conv
    found = state.reactions.setdefault((kind, comment_id), [])
    for reaction in found:
        if reaction["content"] == content and reaction["user"]["login"] == user:
            return False, reaction
    reaction = {
        "id": state.next_reaction,
        "content": content,
        "user": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
    }
    state.next_reaction += 1
    found.append(reaction)
    return True, reaction


# ---- routes ---------------------------------------------------------------------------


def _comment(repo: FakeRepo, kind: str, comment_id: int) -> dict[str, Any]:
    from tests.fakes.fake_github_routes import not_found

    comments = repo.review_comments if kind == "pulls" else repo.issue_comments
    comment = comments.get(comment_id)
    if comment is None:
        raise not_found()
    return comment


def get_review_comment(fake: Any, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, _public, _repo

    comment = _comment(_repo(fake, call), "pulls", int(call.args[2]))
    data = _public(comment)
    data.setdefault("original_line", data.get("line"))
    data.setdefault("original_commit_id", data.get("commit_id"))
    return Reply(200, data)


def reply_in_thread(fake: Any, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import HttpError, Reply, _public, _repo

    body = (call.json or {}).get("body")
    if not isinstance(body, str) or not body:
        raise HttpError(422, "Validation Failed", errors=[{"field": "body", "code": "missing"}])
    repo = _repo(fake, call)
    comment = _reply(fake, repo, int(call.args[2]), int(call.args[3]), body, fake.bot_login)
    return Reply(201, _public(comment))


def create_reaction(fake: Any, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import HttpError, Reply, _repo

    kind, comment_id = call.args[2], int(call.args[3])
    _comment(_repo(fake, call), kind, comment_id)
    content = (call.json or {}).get("content")
    if content not in {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}:
        raise HttpError(422, "Validation Failed", errors=[{"field": "content"}])
    created, reaction = _react(fake, kind, comment_id, content, fake.bot_login)
    return Reply(201 if created else 200, reaction)


def list_reactions(fake: Any, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import _paginate, _repo

    kind, comment_id = call.args[2], int(call.args[3])
    _comment(_repo(fake, call), kind, comment_id)
    items = list(fake._conv.reactions.get((kind, comment_id), []))
    return _paginate(fake, call, items)


def get_permission(fake: Any, call: Call) -> Reply:
    from urllib.parse import unquote

    from tests.fakes.fake_github_routes import Reply, _repo

    repo = _repo(fake, call)
    user = unquote(call.args[2])
    role = fake._conv.permissions.get((f"{repo.owner}/{repo.name}".lower(), user.lower()), "read")
    permission, role_name = ROLES[role]
    return Reply(200, {"permission": permission, "role_name": role_name, "user": {"login": user}})


def conversation_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler) of the conversation endpoints."""
    repo = r"/repos/([^/]+)/([^/]+)"
    return [
        ("GET", rf"{repo}/pulls/comments/(\d+)", "installation", get_review_comment),
        (
            "POST",
            rf"{repo}/pulls/(\d+)/comments/(\d+)/replies",
            "installation",
            reply_in_thread,
        ),
        (
            "POST",
            rf"{repo}/(issues|pulls)/comments/(\d+)/reactions",
            "installation",
            create_reaction,
        ),
        ("GET", rf"{repo}/(issues|pulls)/comments/(\d+)/reactions", "installation", list_reactions),
        ("GET", rf"{repo}/collaborators/([^/]+)/permission", "installation", get_permission),
    ]

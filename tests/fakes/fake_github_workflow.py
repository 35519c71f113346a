"""A workflow's ``GITHUB_TOKEN`` and ``repository_dispatch``, for the fake GitHub.

* :meth:`WorkflowFakeMixin.actions_token` issues a token as a workflow run gets one: it
  acts on its repository, what it posts is authored by ``github-actions[bot]``, and the
  check runs it creates belong to the ``github-actions`` app. As on GitHub, only the app
  that created a check run may update it (403 otherwise) — an App and a workflow each
  keep their own.
* ``POST /repos/{o}/{r}/dispatches`` answers 204 and is recorded
  (:meth:`WorkflowFakeMixin.dispatches`); 422 without an ``event_type``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply

ACTIONS_LOGIN, ACTIONS_SLUG = "github-actions[bot]", "github-actions"


class WorkflowFakeMixin:
    """Workflow tokens and dispatches (mixed into ``FakeGitHub``; its lock guards them)."""

    _workflow_tokens: set[str]
    _dispatches: list[dict[str, Any]]

    def _init_workflow(self) -> None:
        self._workflow_tokens = set()
        self._dispatches = []

    def actions_token(self: FakeGitHub, owner: str, name: str) -> str:  # type: ignore[misc]
        """A ``GITHUB_TOKEN`` of a workflow run in ``owner/name``."""
        with self.lock:
            repo = self.repo(owner, name)
            token, _ = self._issue_token(repo.installation_id)
            self._workflow_tokens.add(token)
            return token

    def dispatches(self: FakeGitHub, owner: str, name: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        """The ``repository_dispatch`` events sent to ``owner/name``, oldest first."""
        with self.lock:
            full = f"{owner}/{name}".lower()
            return [dict(d) for d in self._dispatches if d["repo"] == full]

    def actor(self: FakeGitHub, call: Call) -> tuple[str, str]:  # type: ignore[misc]
        """(login, app slug) of whoever makes ``call``: the App or a workflow's token."""
        _, _, credential = call.headers.get("authorization", "").partition(" ")
        if credential.strip() in self._workflow_tokens:
            return ACTIONS_LOGIN, ACTIONS_SLUG
        return self.bot_login, self.app_slug


def create_dispatch(fake: FakeGitHub, call: Call) -> Reply:
    """``POST /repos/{o}/{r}/dispatches``: 204, recorded."""
    from tests.fakes.fake_github_routes import HttpError, Reply, _repo

    repo = _repo(fake, call)
    data = call.json if isinstance(call.json, dict) else {}
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise HttpError(422, "Invalid request.", errors=["event_type wasn't supplied"])
    payload = data.get("client_payload") or {}
    if not isinstance(payload, dict) or len(payload) > 10:
        raise HttpError(422, "Invalid request.", errors=["client_payload: at most 10 keys"])
    fake._dispatches.append(
        {
            "repo": f"{repo.owner}/{repo.name}".lower(),
            "event_type": event_type,
            "client_payload": payload,
            "by": fake.actor(call)[0],
        }
    )
    return Reply(204, None)


def workflow_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler) of the dispatch endpoint."""
    return [("POST", r"/repos/([^/]+)/([^/]+)/dispatches", "installation", create_dispatch)]

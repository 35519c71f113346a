"""``GET /repos/{o}/{r}/issues/{n}`` for the fake GitHub: one issue with its full body."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply


def get_issue(fake: FakeGitHub, call: Call) -> Reply:
    """The issue seeded with ``add_issue`` (404 when there is none)."""
    from tests.fakes.fake_github_routes import Reply, _repo, not_found

    repo = _repo(fake, call)
    issue = repo.issues.get(int(call.args[2]))
    if issue is None:
        raise not_found()
    return Reply(200, issue.to_json(f"{repo.owner}/{repo.name}", fake.base_url))


def issue_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler) of the single-issue endpoint."""
    return [("GET", r"/repos/([^/]+)/([^/]+)/issues/(\d+)", "installation", get_issue)]

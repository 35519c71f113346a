"""GitHub's JSON → the port's plain dataclasses, leniently (missing fields get defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError
from argusai.github.port import (
    Comparison,
    Issue,
    IssueComment,
    PullRequest,
    Reaction,
    RepoTree,
    ReviewComment,
    TreeEntry,
)


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GitHubError(f"unexpected GitHub response for {what}: not an object")
    return value


def _login(user: Any) -> str:
    # A deleted account shows as null; GitHub's own UI calls it "ghost".
    if isinstance(user, dict) and isinstance(user.get("login"), str):
        return str(user["login"])
    return "ghost"


def pull_request(data: Any) -> PullRequest:
    """A pull request from ``GET /repos/{o}/{r}/pulls/{n}``."""
    pr = _obj(data, "pull request")
    head = _obj(pr.get("head"), "pull request head")
    base = _obj(pr.get("base"), "pull request base")
    return PullRequest(
        number=int(pr["number"]),
        title=str(pr.get("title") or ""),
        body=str(pr.get("body") or ""),
        state=str(pr.get("state") or "open"),
        draft=bool(pr.get("draft") or False),
        head_sha=str(head["sha"]),
        base_sha=str(base["sha"]),
        base_ref=str(base.get("ref") or ""),
        author=_login(pr.get("user")),
    )


def changed_file(data: Any) -> ChangedFile:
    """One entry of a PR's or a comparison's ``files``; no patch = binary or too large."""
    f = _obj(data, "changed file")
    patch = f.get("patch")
    previous = f.get("previous_filename")
    return ChangedFile(
        path=str(f["filename"]),
        status=str(f.get("status") or "modified"),
        additions=int(f.get("additions") or 0),
        deletions=int(f.get("deletions") or 0),
        patch=patch if isinstance(patch, str) else None,
        previous_path=previous if isinstance(previous, str) else None,
    )


def comparison(data: Any) -> Comparison:
    """The result of ``GET /repos/{o}/{r}/compare/{base}...{head}``."""
    c = _obj(data, "comparison")
    return Comparison(
        status=str(c.get("status") or ""),
        ahead_by=int(c.get("ahead_by") or 0),
        behind_by=int(c.get("behind_by") or 0),
        files=[changed_file(f) for f in c.get("files") or []],
    )


def issue(data: Any) -> Issue:
    """An issue from ``GET /repos/{o}/{r}/issues/{n}`` (a PR carries a ``pull_request`` key)."""
    i = _obj(data, "issue")
    return Issue(
        number=int(i["number"]),
        title=str(i.get("title") or ""),
        body=str(i.get("body") or ""),
        state=str(i.get("state") or "open"),
        is_pull_request=isinstance(i.get("pull_request"), dict),
    )


def issue_comment(data: Any) -> IssueComment:
    """One issue (conversation) comment."""
    c = _obj(data, "issue comment")
    return IssueComment(
        id=int(c["id"]), body=str(c.get("body") or ""), author=_login(c.get("user"))
    )


def tree(data: Any) -> RepoTree:
    """``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1``; entries without a path, type or
    id are dropped (GitHub's own output never has them)."""
    t = _obj(data, "tree")
    items = t.get("tree")
    if not isinstance(items, list):
        raise GitHubError("unexpected GitHub response for tree: no `tree` list")
    entries: list[TreeEntry] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        path, kind, sha = item.get("path"), item.get("type"), item.get("sha")
        if not (isinstance(path, str) and isinstance(kind, str) and isinstance(sha, str)):
            continue
        size = item.get("size")
        entries.append(
            TreeEntry(
                path=path,
                mode=str(item.get("mode") or ""),
                type=kind,
                sha=sha,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return RepoTree(sha=str(t["sha"]), entries=tuple(entries), truncated=t.get("truncated") is True)


@dataclass(frozen=True)
class HookDelivery:
    """One webhook delivery of the App, as ``GET /app/hook/deliveries`` lists it."""

    id: int
    guid: str
    event: str
    action: str | None
    status_code: int
    delivered_at: str
    redelivery: bool
    installation_id: int | None


def hook_delivery(data: Any) -> HookDelivery:
    """One entry of the App's webhook delivery log."""
    d = _obj(data, "hook delivery")
    installation = d.get("installation_id")
    return HookDelivery(
        id=int(d["id"]),
        guid=str(d.get("guid") or ""),
        event=str(d.get("event") or ""),
        action=str(d["action"]) if d.get("action") else None,
        status_code=int(d.get("status_code") or 0),
        delivered_at=str(d.get("delivered_at") or ""),
        redelivery=bool(d.get("redelivery")),
        installation_id=int(installation) if installation is not None else None,
    )


def _is_bot(user: Any) -> bool:
    # GitHub Apps' accounts have type "Bot" and a login ending in "[bot]"
    if not isinstance(user, dict):
        return False
    return user.get("type") == "Bot" or str(user.get("login") or "").endswith("[bot]")


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def review_comment(data: Any) -> ReviewComment:
    """One inline review comment (``GET …/pulls/comments/{id}`` or a list entry)."""
    c = _obj(data, "review comment")
    commit = str(c.get("commit_id") or "")
    line = _int_or_none(c.get("line"))
    start = _int_or_none(c.get("start_line"))
    original = _int_or_none(c.get("original_line"))
    original_start = _int_or_none(c.get("original_start_line"))
    return ReviewComment(
        id=int(c["id"]),
        body=str(c.get("body") or ""),
        author=_login(c.get("user")),
        author_is_bot=_is_bot(c.get("user")),
        path=str(c.get("path") or ""),
        line=line,
        start_line=start,
        original_line=original if original is not None else line,
        original_start_line=original_start if original_start is not None else start,
        commit_id=commit,
        original_commit_id=str(c.get("original_commit_id") or commit),
        in_reply_to_id=_int_or_none(c.get("in_reply_to_id")),
        diff_hunk=str(c.get("diff_hunk") or ""),
    )


def reaction(data: Any) -> Reaction:
    """One entry of a comment's reactions."""
    r = _obj(data, "reaction")
    return Reaction(
        content=str(r.get("content") or ""),
        user=_login(r.get("user")),
        user_is_bot=_is_bot(r.get("user")),
    )


def permission(data: Any) -> str:
    """``GET …/collaborators/{user}/permission``'s ``permission``: admin, write, read or
    none (GitHub folds maintain into write, triage and custom roles into their base)."""
    p = _obj(data, "collaborator permission")
    return str(p.get("permission") or p.get("role_name") or "none").lower()

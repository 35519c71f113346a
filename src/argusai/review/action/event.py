"""Which pull request a workflow run is about, from GitHub Actions' environment.

A workflow step sees ``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH`` (the event's payload as
JSON), ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL``. The payload is data only: nothing in it
is executed, and the pull request's code is never checked out (safe under
``pull_request_target``, whose token can write).

* ``pull_request`` / ``pull_request_target``: ``pull_request.number`` and its head SHA;
* ``repository_dispatch`` of type ``argusai-review`` (what an ArgusAI server sends when it
  hands a review over): ``client_payload.pr_number`` and ``client_payload.head_sha``;
* ``workflow_dispatch``: the ``pr_number`` input (a manual run; the current head).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argusai.errors import InputError

DISPATCH_EVENT = "argusai-review"  # the hand-off's event_type (``review.handoff``)
PR_EVENTS = ("pull_request", "pull_request_target")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_MAX_EVENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class ActionEvent:
    """The pull request to review: where, which one, at which head (None: its current one),
    and whether there is nothing to do (``skip``: why)."""

    event_name: str
    repo_name: str
    number: int
    sha: str | None = None
    skip: str | None = None
    reason: str = ""  # a hand-off's reason, as the server gave it


def read_event(env: Mapping[str, str]) -> ActionEvent:
    """The pull request of the workflow run described by ``env`` (``os.environ``)."""
    name = env.get("GITHUB_EVENT_NAME", "").strip()
    if not name:
        raise InputError("GITHUB_EVENT_NAME is not set: run argus action run in a workflow step")
    payload = _payload(env.get("GITHUB_EVENT_PATH", ""))
    repo = env.get("GITHUB_REPOSITORY", "").strip() or _full_name(payload)
    if not _REPO.match(repo):
        raise InputError(f"GITHUB_REPOSITORY is not OWNER/NAME: {repo[:100]!r}")
    if name in PR_EVENTS:
        return _pull_request(name, repo, payload)
    if name == "repository_dispatch":
        return _dispatch(repo, payload)
    if name == "workflow_dispatch":
        inputs = _object(payload.get("inputs"))
        number = _number(inputs.get("pr_number", inputs.get("pr-number")), "inputs.pr_number")
        return ActionEvent(name, repo, number)
    raise InputError(
        f"event {name!r} names no pull request: run the review on pull_request, "
        "pull_request_target, repository_dispatch (argusai-review) or workflow_dispatch"
    )


def _payload(path: str) -> dict[str, Any]:
    if not path:
        raise InputError("GITHUB_EVENT_PATH is not set: run argus action run in a workflow step")
    file = Path(path)
    try:
        if file.stat().st_size > _MAX_EVENT_BYTES:
            raise InputError(f"GITHUB_EVENT_PATH {path} is larger than a webhook payload")
        data = json.loads(file.read_bytes())
    except OSError as exc:
        raise InputError(f"GITHUB_EVENT_PATH {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise InputError(f"GITHUB_EVENT_PATH {path} is not JSON") from None
    if not isinstance(data, dict):
        raise InputError(f"GITHUB_EVENT_PATH {path} is not an event payload (not an object)")
    return data


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _full_name(payload: Mapping[str, Any]) -> str:
    repo = payload.get("repository")
    name = repo.get("full_name") if isinstance(repo, dict) else None
    return name if isinstance(name, str) else ""


def _number(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InputError(f"{where} is not a pull request number: {str(value)[:40]!r}")
    return value


def _sha(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _SHA.match(value):
        raise InputError(f"{where} is not a commit SHA: {str(value)[:80]!r}")
    return value.lower()


def _pull_request(name: str, repo: str, payload: Mapping[str, Any]) -> ActionEvent:
    pr = payload.get("pull_request")
    if not isinstance(pr, dict):
        raise InputError(f"the {name} payload has no pull_request")
    number = _number(pr.get("number", payload.get("number")), "pull_request.number")
    head = _object(pr.get("head"))
    sha = _sha(head.get("sha"), "pull_request.head.sha")
    skip = None
    if payload.get("action") == "closed" or pr.get("state") == "closed":
        skip = "the pull request is closed"
    return ActionEvent(name, repo, number, sha, skip)


def _dispatch(repo: str, payload: Mapping[str, Any]) -> ActionEvent:
    kind = payload.get("action")
    if kind != DISPATCH_EVENT:
        return ActionEvent(
            "repository_dispatch", repo, 0, skip=f"not an {DISPATCH_EVENT} dispatch ({kind!r})"
        )
    data = payload.get("client_payload")
    if not isinstance(data, dict):
        raise InputError("the repository_dispatch payload has no client_payload")
    number = _number(data.get("pr_number"), "client_payload.pr_number")
    sha = _sha(data.get("head_sha"), "client_payload.head_sha")
    reason = data.get("reason")
    return ActionEvent(
        "repository_dispatch", repo, number, sha, reason=reason if isinstance(reason, str) else ""
    )

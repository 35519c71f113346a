"""Turn a parsed webhook payload into work, with small lenient models (no GitHub call)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from argusai.ci.runs import CIRequest
from argusai.review.items import InstallationChange, ReviewRequest

INSTALLATION_EVENTS = ("installation", "installation_repositories")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL: such a value is ignored like any invalid one
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("holds a NUL character")
        return value


# bounds of the columns these land in: out-of-range values are ignored, never a 5xx
MAX_ID = 2**63
MAX_NUMBER = 2**31
MAX_NAME = 255
MAX_SHORT = 64


class _Installation(_Lenient):
    id: int = Field(gt=0, lt=MAX_ID)


class _Repo(_Lenient):
    full_name: str = Field(min_length=3, max_length=MAX_NAME)


class _Head(_Lenient):
    sha: str = Field(min_length=1, max_length=MAX_SHORT)


class _PR(_Lenient):
    number: int = Field(gt=0, lt=MAX_NUMBER)
    head: _Head
    draft: bool = False
    state: str = "open"


class PullRequestEvent(_Lenient):
    action: str
    pull_request: _PR
    repository: _Repo
    installation: _Installation | None = None


@dataclass(frozen=True)
class Routed:
    """What a delivery means: a review to queue, or why it is ignored."""

    action: str | None
    installation_id: int | None
    repo_name: str | None
    review: ReviewRequest | None
    ignored_reason: str | None = None
    installation_change: InstallationChange | None = None
    ci: CIRequest | None = None


class _RunRepo(_Lenient):
    id: int | None = None


class _RunRef(_Lenient):
    repo: _RunRepo | None = None


class _RunPR(_Lenient):
    number: int = Field(gt=0, lt=MAX_NUMBER)
    base: _RunRef | None = None


class _Run(_Lenient):
    id: int = Field(gt=0, lt=MAX_ID)
    run_attempt: int = Field(default=1, gt=0, lt=MAX_NUMBER)
    head_sha: str = Field(min_length=1, max_length=MAX_SHORT)
    conclusion: str | None = Field(default=None, max_length=MAX_SHORT)
    name: str | None = None
    html_url: str | None = Field(default=None, max_length=2048)
    pull_requests: list[_RunPR] = Field(default_factory=list)


class _RepoWithId(_Repo):
    id: int | None = None


class _Workflow(_Lenient):
    name: str | None = None


class WorkflowRunEvent(_Lenient):
    action: str
    workflow_run: _Run
    repository: _RepoWithId
    installation: _Installation | None = None
    workflow: _Workflow | None = None


#: conclusions explained; a ``success`` is routed only for a re-run (attempt > 1)
CI_FAILED = ("failure", "timed_out")


def route(
    event: str,
    payload: dict[str, object],
    *,
    enabled: tuple[str, ...],
    review_drafts: bool,
    ci_enabled: bool = False,
) -> Routed:
    """Decide what a delivery asks for; unknown or disabled events are ignored, not errors.

    ``workflow_run`` is routed whenever ``ci_enabled``, whatever ``enabled`` says.
    """
    action = _bounded_str(payload.get("action"), MAX_SHORT)
    inst = payload.get("installation")
    installation_id = inst.get("id") if isinstance(inst, dict) else None
    if not isinstance(installation_id, int) or not 0 < installation_id < MAX_ID:
        installation_id = None
    repo = payload.get("repository")
    repo_name = _bounded_str(repo.get("full_name") if isinstance(repo, dict) else None, MAX_NAME)
    base = Routed(action=action, installation_id=installation_id, repo_name=repo_name, review=None)

    key = f"{event}.{action}" if action else event
    if event in INSTALLATION_EVENTS:
        # always recorded, whatever is enabled: who installed the App, on which repositories
        change = _installation_change(event, action, payload, installation_id)
        if change is None:
            return replace(base, ignored_reason=f"{key} without an installation id")
        return replace(base, installation_change=change, ignored_reason=f"recorded {key}")
    if event == "workflow_run" and ci_enabled:
        return _route_workflow_run(base, key, payload)
    if key not in enabled and event not in enabled:
        return replace(base, ignored_reason=f"event {key} is not enabled")
    if event != "pull_request":
        return replace(base, ignored_reason=f"no handler for {key}")
    try:
        pr_event = PullRequestEvent.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        return replace(base, ignored_reason=f"payload lacks {fields}")
    pr = pr_event.pull_request
    if pr_event.installation is None:
        return replace(base, ignored_reason="no installation in payload")
    if pr.state != "open":
        return replace(base, ignored_reason="pull request is not open")
    if pr.draft and not review_drafts:
        return replace(base, ignored_reason="draft pull request")
    request = ReviewRequest(
        installation_id=pr_event.installation.id,
        repo_name=pr_event.repository.full_name,
        pr_number=pr.number,
        sha=pr.head.sha,
        trigger=key,
    )
    return replace(base, review=request)


def _route_workflow_run(base: Routed, key: str, payload: dict[str, object]) -> Routed:
    """A completed failed run (or a passing re-run) → a CI request."""
    if base.action != "completed":
        return replace(base, ignored_reason=f"{key}: only completed runs are analysed")
    try:
        ev = WorkflowRunEvent.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        return replace(base, ignored_reason=f"payload lacks {fields}")
    run = ev.workflow_run
    if ev.installation is None:
        return replace(base, ignored_reason="no installation in payload")
    conclusion = run.conclusion or ""
    if conclusion not in CI_FAILED and not (conclusion == "success" and run.run_attempt > 1):
        return replace(base, ignored_reason=f"workflow run concluded {conclusion or 'nothing'}")
    repo_id = ev.repository.id
    # only PRs of this repository: a number from another one would land on the wrong PR
    numbers = tuple(
        sorted(
            {
                pr.number
                for pr in run.pull_requests
                if repo_id is None
                or pr.base is None
                or pr.base.repo is None
                or pr.base.repo.id in (None, repo_id)
            }
        )
    )
    name = run.name or (ev.workflow.name if ev.workflow else None) or None
    request = CIRequest(
        installation_id=ev.installation.id,
        repo_name=ev.repository.full_name,
        run_id=run.id,
        run_attempt=run.run_attempt,
        workflow_name=_bounded_str(name, MAX_NAME),
        head_sha=run.head_sha,
        conclusion=conclusion,
        pr_numbers=numbers[:20],
        html_url=run.html_url,
    )
    return replace(base, ci=request)


def _bounded_str(value: object, limit: int) -> str | None:
    # NUL: PostgreSQL text cannot hold it, so such a value is dropped like an over-long one
    if isinstance(value, str) and len(value) <= limit and "\x00" not in value:
        return value
    return None


def _names(items: object) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        str(i["full_name"])
        for i in items
        if isinstance(i, dict) and _bounded_str(i.get("full_name"), MAX_NAME)
    )


def _installation_change(
    event: str, action: str | None, payload: dict[str, object], installation_id: int | None
) -> InstallationChange | None:
    if installation_id is None or action is None:
        return None
    inst = payload.get("installation")
    account = inst.get("account") if isinstance(inst, dict) else None
    login = _bounded_str(account.get("login") if isinstance(account, dict) else None, MAX_NAME)
    if event == "installation":
        added = _names(payload.get("repositories")) if action == "created" else ()
        return InstallationChange(installation_id, login, action, repos_added=added)
    return InstallationChange(
        installation_id,
        login,
        action,
        repos_added=_names(payload.get("repositories_added")),
        repos_removed=_names(payload.get("repositories_removed")),
    )

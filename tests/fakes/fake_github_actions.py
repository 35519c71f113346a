"""GitHub Actions and check runs for the fake GitHub (mixed into ``FakeGitHub``).

* :meth:`ActionsFakeMixin.add_workflow_run` seeds a run attempt and its jobs
  (:class:`FakeJob`); ``GET /repos/{o}/{r}/actions/runs/{id}`` shows the latest attempt,
  ``…/runs/{id}/attempts/{n}/jobs`` the jobs of attempt ``n`` (``{"total_count", "jobs"}``).
* ``GET /repos/{o}/{r}/actions/workflows/{workflow_id}/runs?branch=&status=`` lists runs at
  their latest attempt, newest (highest id) first, ``{"total_count", "workflow_runs"}``.
* ``GET /repos/{o}/{r}/actions/jobs/{id}/logs`` answers ``302`` with a ``Location`` on a
  second loopback server (another origin, like GitHub's blob storage): the blob needs no
  token; :meth:`blob_requests` shows what reached it (headers included). A log is set with
  :meth:`set_job_log` (bytes; ``None`` → 404 as for an expired log).
* Check runs: ``POST /repos/{o}/{r}/check-runs`` (422 without name / head_sha),
  ``PATCH …/check-runs/{id}``, ``GET …/commits/{ref}/check-runs?check_name=``;
  :meth:`check_runs` lists them.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.fakes.fake_github_server import Server

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply


@dataclass
class FakeJob:
    """One job of a run attempt."""

    id: int
    name: str
    conclusion: str | None = "failure"
    status: str = "completed"
    failed_step: str | None = "Run tests"

    def to_json(self, full: str, run_id: int, attempt: int, head_sha: str) -> dict[str, Any]:
        """GitHub's JSON for the job."""
        steps = [
            {"name": "Set up job", "number": 1, "status": "completed", "conclusion": "success"}
        ]
        if self.failed_step:
            steps.append(
                {
                    "name": self.failed_step,
                    "number": 2,
                    "status": "completed",
                    "conclusion": self.conclusion,
                }
            )
        return {
            "id": self.id,
            "run_id": run_id,
            "run_attempt": attempt,
            "name": self.name,
            "head_sha": head_sha,
            "status": self.status,
            "conclusion": self.conclusion,
            "html_url": f"https://github.com/{full}/actions/runs/{run_id}/job/{self.id}",
            "steps": steps,
        }


@dataclass
class FakeRunAttempt:
    run_id: int
    attempt: int
    name: str
    head_sha: str
    conclusion: str | None
    jobs: list[FakeJob] = field(default_factory=list)
    branch: str = "main"
    event: str = "push"
    workflow_id: int = 1

    def to_json(self, full: str) -> dict[str, Any]:
        """GitHub's JSON for the run (as this attempt shows it)."""
        return {
            "id": self.run_id,
            "name": self.name,
            "run_attempt": self.attempt,
            "head_sha": self.head_sha,
            "head_branch": self.branch,
            "event": self.event,
            "workflow_id": self.workflow_id,
            "status": "completed",
            "conclusion": self.conclusion,
            "html_url": f"https://github.com/{full}/actions/runs/{self.run_id}",
        }


class BlobServer(Server):
    """Pre-signed blob URLs on another loopback origin (no auth, like GitHub's storage)."""

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, bytes] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        key = raw_path.split("?", 1)[0].rsplit("/", 1)[-1]
        with self.lock:
            self.seen.append((raw_path, dict(headers)))
            data = self.blobs.get(key)
        if data is None:
            return 404, {"Content-Type": "text/plain"}, b"BlobNotFound"
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, data


class ActionsFakeMixin:
    """Workflow runs, jobs, job logs (302 → blob) and check runs."""

    lock: threading.RLock

    def _init_actions(self) -> None:
        self._runs: dict[tuple[str, str, int], dict[int, FakeRunAttempt]] = {}
        self._logs: dict[tuple[str, str, int], bytes | None] = {}
        self._checks: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        self._check_ids = itertools.count(50_000)
        self.blob_server = BlobServer()

    def start(self) -> Any:
        """Start the API server and the blob server."""
        self.blob_server.start()
        return super().start()  # type: ignore[misc]

    def stop(self) -> None:
        """Stop both servers."""
        super().stop()  # type: ignore[misc]
        self.blob_server.stop()

    def add_workflow_run(
        self,
        owner: str,
        name: str,
        run_id: int,
        *,
        attempt: int = 1,
        head_sha: str,
        workflow: str = "CI",
        conclusion: str | None = "failure",
        jobs: list[FakeJob] | None = None,
        branch: str = "main",
        event: str = "push",
        workflow_id: int = 1,
    ) -> FakeRunAttempt:
        """Seed one attempt of a run and its jobs (on ``branch``, of workflow ``workflow_id``)."""
        with self.lock:
            run = FakeRunAttempt(
                run_id,
                attempt,
                workflow,
                head_sha,
                conclusion,
                list(jobs or []),
                branch=branch,
                event=event,
                workflow_id=workflow_id,
            )
            self._runs.setdefault((owner.lower(), name.lower(), run_id), {})[attempt] = run
            return run

    def set_job_log(self, owner: str, name: str, job_id: int, data: bytes | None) -> None:
        """The job's log (``None``: GitHub answers 404, as for an expired log)."""
        with self.lock:
            self._logs[(owner.lower(), name.lower(), job_id)] = data

    def check_runs(self, owner: str, name: str) -> list[dict[str, Any]]:
        """Check runs created in the repository, oldest first (copies)."""
        with self.lock:
            return [dict(c) for c in self._checks.get((owner.lower(), name.lower()), {}).values()]

    def blob_requests(self) -> list[tuple[str, dict[str, str]]]:
        """(path, headers) of every request that reached the blob server."""
        with self.blob_server.lock:
            return list(self.blob_server.seen)


def _key(call: Call) -> tuple[str, str]:
    return unquote(call.args[0]).lower(), unquote(call.args[1]).lower()


def _attempts(fake: FakeGitHub, call: Call) -> dict[int, FakeRunAttempt]:
    from tests.fakes.fake_github_routes import _repo, not_found

    _repo(fake, call)
    runs = fake._runs.get((*_key(call), int(call.args[2])))
    if not runs:
        raise not_found()
    return runs


def get_run(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply

    runs = _attempts(fake, call)
    return Reply(200, runs[max(runs)].to_json(f"{call.args[0]}/{call.args[1]}"))


def list_workflow_runs(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, _repo

    _repo(fake, call)
    workflow_id = int(call.args[2])
    branch, status = call.query.get("branch"), call.query.get("status")
    full = f"{call.args[0]}/{call.args[1]}"
    latest = [
        runs[max(runs)]
        for (owner, name, _id), runs in sorted(fake._runs.items(), key=lambda kv: -kv[0][2])
        if (owner, name) == _key(call)
    ]
    found = [
        run.to_json(full)
        for run in latest
        if run.workflow_id == workflow_id
        and (branch is None or run.branch == branch)
        and (status is None or run.conclusion == status)
    ]
    per_page = max(1, min(100, int(call.query.get("per_page", "30"))))
    return Reply(200, {"total_count": len(found), "workflow_runs": found[:per_page]})


def list_attempt_jobs(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, not_found

    run = _attempts(fake, call).get(int(call.args[3]))
    if run is None:
        raise not_found()
    full = f"{call.args[0]}/{call.args[1]}"
    jobs = [j.to_json(full, run.run_id, run.attempt, run.head_sha) for j in run.jobs]
    per_page = max(1, min(100, int(call.query.get("per_page", "30"))))
    page = max(1, int(call.query.get("page", "1")))
    chunk = jobs[(page - 1) * per_page : page * per_page]
    return Reply(200, {"total_count": len(jobs), "jobs": chunk})


def job_logs(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, _repo, not_found

    _repo(fake, call)
    data = fake._logs.get((*_key(call), int(call.args[2])))
    if data is None:
        raise not_found()
    token = secrets.token_hex(12)
    with fake.blob_server.lock:
        fake.blob_server.blobs[token] = data
    location = f"{fake.blob_server.base_url}/actions-results/{token}?sig=fake"
    return Reply(302, b"", {"Location": location, "Content-Type": "text/plain"})


def list_check_runs(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, _repo

    _repo(fake, call)
    ref = unquote(call.args[2])
    name = call.query.get("check_name")
    items = [
        c
        for c in reversed(fake._checks.get(_key(call), {}).values())
        if c["head_sha"] == ref and (name is None or c["name"] == name)
    ]
    return Reply(200, {"total_count": len(items), "check_runs": items})


def create_check_run(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import HttpError, Reply, _repo

    _repo(fake, call)
    data = call.json if isinstance(call.json, dict) else {}
    if not data.get("name") or not data.get("head_sha"):
        raise HttpError(422, "Validation Failed", errors=[{"field": "name/head_sha"}])
    _annotations(data)
    check_id = next(fake._check_ids)
    check = {
        "id": check_id,
        "name": data["name"],
        "head_sha": data["head_sha"],
        "external_id": data.get("external_id"),
        "status": data.get("status", "queued"),
        "conclusion": data.get("conclusion"),
        "output": data.get("output") or {},
        "details_url": data.get("details_url"),
        "app": {"slug": fake.actor(call)[1]},
        "annotations": list((data.get("output") or {}).get("annotations") or []),
    }
    fake._checks.setdefault(_key(call), {})[check_id] = check
    return Reply(201, dict(check))


def update_check_run(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import HttpError, Reply, _repo, not_found

    _repo(fake, call)
    check = fake._checks.get(_key(call), {}).get(int(call.args[2]))
    if check is None:
        raise not_found()
    if check["app"]["slug"] != fake.actor(call)[1]:  # only the app that made it may
        raise HttpError(403, "Resource not accessible by integration")
    data = call.json if isinstance(call.json, dict) else {}
    check["annotations"] += _annotations(data)  # GitHub adds them up across updates
    if data.get("status") == "in_progress":
        check["conclusion"] = None
    for key in ("status", "conclusion", "output", "details_url", "external_id"):
        if key in data:
            check[key] = data[key]
    return Reply(200, dict(check))


def _annotations(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's annotations; like GitHub, 422 over 50 or without their fields."""
    from tests.fakes.fake_github_routes import HttpError

    notes = (data.get("output") or {}).get("annotations") or []
    if len(notes) > 50:
        raise HttpError(422, "Only 50 annotations are allowed per request")
    needed = ("path", "start_line", "end_line", "annotation_level", "message")
    if any(not all(n.get(k) for k in needed) for n in notes):
        raise HttpError(422, "Validation Failed", errors=[{"field": "annotations"}])
    if any(n["annotation_level"] not in {"notice", "warning", "failure"} for n in notes):
        raise HttpError(422, "Validation Failed", errors=[{"field": "annotation_level"}])
    return list(notes)


def actions_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler) of the Actions and check-run endpoints."""
    repo = r"/repos/([^/]+)/([^/]+)"
    return [
        ("GET", rf"{repo}/actions/runs/(\d+)", "installation", get_run),
        ("GET", rf"{repo}/actions/workflows/(\d+)/runs", "installation", list_workflow_runs),
        (
            "GET",
            rf"{repo}/actions/runs/(\d+)/attempts/(\d+)/jobs",
            "installation",
            list_attempt_jobs,
        ),
        ("GET", rf"{repo}/actions/jobs/(\d+)/logs", "installation", job_logs),
        ("GET", rf"{repo}/commits/([^/]+)/check-runs", "installation", list_check_runs),
        ("POST", rf"{repo}/check-runs", "installation", create_check_run),
        ("PATCH", rf"{repo}/check-runs/(\d+)", "installation", update_check_run),
    ]

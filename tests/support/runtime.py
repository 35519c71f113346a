"""The app in this process: a runtime on temp SQLite, signed deliveries, draining the queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from huey import Huey

from argusai.app import make_runtime as app_runtime
from argusai.app import register_tasks
from argusai.core.secrets import Redactor
from argusai.github.port import GitHubAppClient
from argusai.llm.port import LLMClient
from argusai.logs import settings_secrets
from argusai.runtime import Runtime
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.store.migrate import upgrade
from argusai.web.app import create_app
from argusai.web.signature import sign
from argusai.workq.huey import create_huey
from argusai.workq.queue import WorkQueue

WEBHOOK_SECRET = "test-webhook-secret-value"


def _refuse(what: str) -> Callable[[], Any]:
    def factory() -> Any:
        raise AssertionError(f"{what} must not be used here")

    return factory


def make_runtime(
    settings: Settings,
    *,
    github: Callable[[], GitHubAppClient] | None = None,
    llm: Callable[[], LLMClient] | None = None,
    database_url: str | None = None,
    queue_url: str | None = None,
) -> Runtime:
    """A runtime on the settings' data dir (or given URLs), schema migrated."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(database_url or settings.resolved_database_url())
    upgrade(db.engine)
    return app_runtime(
        settings,
        db,
        create_huey(queue_url or settings.resolved_queue_url()),
        github or _refuse("GitHub"),
        llm or _refuse("the LLM"),
        redactor=Redactor.of(settings_secrets(settings)),  # as build_runtime does
    )


def drain(huey: Huey, limit: int = 100) -> int:
    """Run queued tasks in this process until the queue is empty (scheduled ones excluded)."""
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1
    raise AssertionError(f"queue did not drain after {limit} tasks")


def worker_queue(rt: Runtime) -> WorkQueue:
    """The work queue of ``rt``, with every task declared as the worker process does."""
    return register_tasks(rt)


def deliver(
    client: TestClient,
    event: str,
    payload: dict[str, Any] | bytes,
    *,
    delivery_id: str | None = None,
    secret: str = WEBHOOK_SECRET,
    signature: str | None = None,
) -> Any:
    """POST a signed delivery like GitHub does; returns the response."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else sign(secret, body),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }
    return client.post("/webhooks/github", content=body, headers=headers)


def load_fixture(shared: Path, event: str, name: str) -> dict[str, Any]:
    """A real webhook payload from ../shared/fixtures/webhooks."""
    data: dict[str, Any] = json.loads((shared / "fixtures" / "webhooks" / event / name).read_text())
    return data


def app_client(rt: Runtime) -> TestClient:
    """A TestClient around the app for ``rt``."""
    return TestClient(create_app(rt))

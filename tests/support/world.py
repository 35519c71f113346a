"""One fake world for end-to-end tests: FakeGitHub + FakeLLMServer + the real app wired to them.

The runtime is the production one (``build_runtime``): githubkit talks to FakeGitHub and
the LLM SDK to FakeLLMServer over loopback, with the App's private key and webhook secret
in the settings. The queue runs in this process (``run_worker``). Tests seed the fakes
(repositories, pulls, LLM answers) after the world is built: nothing calls out before.
Use the ``make_world`` fixture (tests/conftest.py) or ``open_world`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from argusai.app import build_runtime
from argusai.runtime import Runtime
from argusai.settings import Settings
from argusai.store.migrate import upgrade
from argusai.workq.queue import WorkQueue
from tests.conftest import make_settings
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer
from tests.fakes.keys import generate_rsa_keypair
from tests.support.runtime import WEBHOOK_SECRET, app_client, deliver, drain, worker_queue

APP_ID = 4242
LLM_KEY = "sk-test-llm-key-0123456789"

Row = TypeVar("Row")


@dataclass
class FakeWorld:
    """The app under test and everything it talks to, in this process."""

    gh: FakeGitHub
    llm: FakeLLMServer
    rt: Runtime
    client: TestClient
    #: the App's private key (the same for the whole test run; FakeGitHub holds its public half)
    private_pem: str

    @property
    def settings(self) -> Settings:
        return self.rt.settings

    @property
    def queue(self) -> WorkQueue:
        """The work queue, every task declared as in a worker (dispatch, sweep, dead letters)."""
        return self.rt.queue

    def deliver(self, event: str, payload: dict[str, Any] | bytes, **kw: Any) -> httpx.Response:
        """POST a signed webhook delivery to the app, as GitHub does."""
        response: httpx.Response = deliver(self.client, event, payload, **kw)
        return response

    def run_worker(self, limit: int = 100) -> int:
        """Run queued tasks here until the queue is empty (scheduled ones wait); how many ran."""
        return drain(self.rt.huey, limit)

    def rows(self, model: type[Row], *order_by: Any) -> list[Row]:
        """Every row of ``model``'s table, by ``order_by`` (the primary key by default)."""
        order = order_by or tuple(inspect(model).primary_key)
        with self.rt.db.session() as s:
            return list(s.scalars(select(model).order_by(*order)))


@contextmanager
def open_world(
    tmp_path: Path,
    *,
    app_id: int = APP_ID,
    app: bool = True,
    env: pytest.MonkeyPatch | None = None,
    migrate: bool = True,
    **overrides: Any,
) -> Iterator[FakeWorld]:
    """Start the fakes and build the app on them; everything is closed on exit.

    ``overrides`` are Settings fields (``database_url=``, ``queue_url=`` for PostgreSQL or
    Redis, limits, retries, ...). ``app=False`` leaves the GitHub App unconfigured (scout's
    token only). With ``env``, the settings go into ``ARGUS_*`` variables and are read
    back from there, as a deployment and the ``argus`` CLI read them. ``migrate=False``
    leaves the database to whatever the test runs first (a CLI command that migrates).
    """
    private_pem, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=app_id, public_key_pem=public_pem) as gh, FakeLLMServer() as llm:
        values: dict[str, Any] = {
            "github_api_url": gh.base_url,
            "github_webhook_secret": WEBHOOK_SECRET,
            "llm_provider": "openai-compatible",
            "llm_base_url": llm.openai_base_url,
            "llm_api_key": LLM_KEY,
            "job_retry_delay_seconds": 0,
        }
        if app:
            values |= {"github_app_id": app_id, "github_private_key": private_pem}
        values.update(overrides)
        if env is None:
            settings = make_settings(tmp_path, **values)
        else:
            values |= {"data_dir": tmp_path / "data", "log_format": "json"}
            for key, value in values.items():
                if value is not None:
                    env.setenv(f"ARGUS_{key.upper()}", str(value))
            settings = make_settings(tmp_path)
        rt = build_runtime(settings)
        if migrate:
            upgrade(rt.db.engine)
        worker_queue(rt)
        try:
            yield FakeWorld(gh=gh, llm=llm, rt=rt, client=app_client(rt), private_pem=private_pem)
        finally:
            rt.huey.flush()
            rt.db.dispose()

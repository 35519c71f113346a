"""Fixtures for the fault tests: fake GitHub + LLM in this process, real argus processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer
from tests.fakes.keys import generate_rsa_keypair
from tests.services.harness import (
    APP_ID,
    FINDING,
    INSTALLATION,
    NAME,
    OWNER,
    Procs,
    World,
    base_env,
)


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """FakeGitHub with one repository, a FakeLLMServer with one finding, a process launcher.

    Every process started through ``world.procs`` is killed at the end, pass or fail; on
    failure the tail of each process's log is printed.
    """
    private_pem, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=APP_ID, public_key_pem=public_pem) as gh, FakeLLMServer() as llm:
        gh.add_repo(OWNER, NAME, installation_id=INSTALLATION)
        llm.responder = lambda _req: {"summary": "One risky call.", "findings": [FINDING]}
        procs = Procs(tmp_path, base_env(tmp_path, gh, llm, private_pem))
        try:
            yield World(gh=gh, llm=llm, procs=procs)
        finally:
            procs.close()
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                print(procs.tails())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report

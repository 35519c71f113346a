"""Fuzz the HTTP API from its own OpenAPI description (schemathesis, against the ASGI app).

Every documented operation gets generated requests, valid and invalid, and a stateful
run follows the links between operations. No answer may be a 5xx, and each must match
the description (status codes, content types, headers, schemas); valid requests must be
accepted and invalid ones refused. The analysis API is called with the key of an
enterprise tenant (no rate limit, no quota); the fake LLM on loopback answers the
synchronous analyses, and a fake resolver gives callback hosts a public address (no
connection is made: only asynchronous analyses call back, and no worker runs here).

Bounded: a few examples per operation, derandomised, no deadline. schemathesis' pytest
loader (``from_fixture``) does not run on pytest 9, so its public Python API is used.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from argusai.ciapi import apikeys, tenants
from argusai.llm.breaker import BreakerRegistry
from argusai.llm.factory import build_llm
from argusai.web.app import create_app
from argusai.workq.presence import WorkerPresence
from tests.conftest import make_settings
from tests.fakes.fake_llm import FakeLLMServer
from tests.fakes.keys import generate_rsa_keypair
from tests.support import WEBHOOK_SECRET, make_runtime

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same requests every run: a failure in CI reproduces locally
    database=None,
    suppress_health_check=list(HealthCheck),
)
#: every operation of the description; a new one must be added here to be fuzzed
OPERATIONS = (
    "POST /webhooks/github",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /v1/scout/issues",
    "GET /v1/scout/repositories",
    "POST /v1/analyses",
    "GET /v1/analyses",
    "GET /v1/analyses/{analysis_id}",
)
ANSWER = {
    "root_cause": "test_total fails: assert 3 == 4",
    "failing_step": "Run pytest -q",
    "evidence": ["E   assert 3 == 4"],
    "suggested_fix": "Include shipping in Cart.total().",
    "confidence": "high",
}
PUBLIC_ADDRESS = "93.184.215.14"


@dataclass
class Fuzzed:
    schema: Any
    spec: dict[str, Any]
    key: str

    def headers(self, path: str) -> dict[str, str] | None:
        return {"X-API-Key": self.key} if path.startswith("/v1/analyses") else None


def _fake_resolver(real: Any) -> Any:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            if host not in ("localhost", None):
                host = PUBLIC_ADDRESS  # any callback host: public, never connected to
        return real(host, port, *args, **kwargs)

    return getaddrinfo


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    with (
        pytest.MonkeyPatch.context() as patch,
        FakeLLMServer(responder=lambda _request: ANSWER) as fake,
    ):
        patch.setattr(socket, "getaddrinfo", _fake_resolver(socket.getaddrinfo))
        settings_ = make_settings(
            tmp_path_factory.mktemp("schemathesis"),
            github_app_id=1234,
            github_private_key=generate_rsa_keypair()[0],
            github_webhook_secret=WEBHOOK_SECRET,
            llm_provider="openai-compatible",
            llm_base_url=fake.openai_base_url,
            secret_key="test-server-secret-key-value",
        )
        rt = make_runtime(settings_, llm=lambda: build_llm(settings_, breakers=BreakerRegistry()))
        tenants.create_tenant(rt.db, settings_, "fuzz", "enterprise")
        key = apikeys.create_key(rt.db, "fuzz", "schemathesis").key
        app = create_app(rt)
        # a live worker's heartbeat, as in a deployment: /readyz is 503 without one
        with WorkerPresence(rt.db, 5, threads=1).start():
            yield Fuzzed(schemathesis.openapi.from_asgi("/openapi.json", app), app.openapi(), key)
        rt.db.dispose()


def test_every_operation_is_fuzzed(fuzzed: Fuzzed) -> None:
    labels = {op.ok().label for op in fuzzed.schema.get_all_operations()}
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_to_the_description(fuzzed: Fuzzed, label: str) -> None:
    operation = fuzzed.schema.find_operation_by_label(label)
    assert operation is not None
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(mode, headers=fuzzed.headers(operation.path))

        @FUZZ
        @given(case=strategy)
        def run(case: Any) -> None:
            case.call_and_validate()

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing in the request can be invalid


def test_stateful_sequences_conform(fuzzed: Fuzzed) -> None:
    machine = fuzzed.schema.as_state_machine()
    key = fuzzed.key

    class Machine(machine):  # type: ignore[misc,valid-type]  # built at run time
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"X-API-Key": key}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, transport_kwargs=kwargs)

    Machine.run(
        settings=settings(FUZZ, max_examples=15, stateful_step_count=4),
    )

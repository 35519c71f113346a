"""Error answers of the HTTP API (issue 8 §3.2 and §3.4): small, documented, never a 500.

A 422 keeps ``type``, ``loc`` and ``msg`` only (a 50 MB invalid body came back as a
300 MB answer); numbers past the database's range and undecodable text are 4xx.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from argusai.ciapi import apikeys, tenants
from argusai.web import errors
from tests.conftest import make_settings
from tests.support import app_client, make_runtime

HUGE = 2**63  # one past SQLite's and PostgreSQL's largest integer


@dataclass
class Api:
    client: TestClient
    key: str

    def post(self, body: bytes, **headers: str) -> Any:
        return self.client.post(
            "/v1/analyses",
            content=body,
            headers={"X-API-Key": self.key, "Content-Type": "application/json", **headers},
        )


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = make_settings(tmp_path, secret_key="test-server-secret-key-value")
    rt = make_runtime(settings)
    tenants.create_tenant(rt.db, settings, "acme", "starter")
    yield Api(app_client(rt), apikeys.create_key(rt.db, "acme", "ci").key)
    rt.db.dispose()


def _assert_small_422(r: Any, limit: int = 4096) -> list[dict[str, Any]]:
    assert r.status_code == 422, r.text[:300]
    assert len(r.content) < limit
    detail: list[dict[str, Any]] = r.json()["detail"]
    assert detail and all(set(e) == {"type", "loc", "msg"} for e in detail)
    return detail


def test_invalid_json_of_megabytes_is_not_echoed(api: Api) -> None:
    junk = b'{"logs": "' + b"a" * (5 * 1024 * 1024) + b'", oops}'
    r = api.post(gzip.compress(junk), **{"Content-Encoding": "gzip"})
    detail = _assert_small_422(r)
    assert detail[0]["type"] == "json_invalid" and detail[0]["loc"] == ["body"]


def test_an_invalid_field_of_megabytes_is_not_echoed(api: Api) -> None:
    big = "b" * (3 * 1024 * 1024)
    detail = _assert_small_422(api.post(json.dumps({"logs": ["x"], "extra": big}).encode()))
    assert {tuple(e["loc"]) for e in detail} == {("body", "logs"), ("body", "extra")}
    assert big[:1000] not in json.dumps(detail)


def test_a_huge_key_in_the_location_is_cut(api: Api) -> None:
    key = "k" * 100_000
    detail = _assert_small_422(api.post(json.dumps({"logs": "x", key: 1}).encode()))
    assert len(detail[0]["loc"][1]) <= errors.MAX_TEXT


def test_bytes_that_are_not_utf8_inside_json_are_422_not_500(api: Api) -> None:
    for body in (b'{"logs": "abc\xff\xfe def"}', b'{"logs": "x\xff", "bad": "\xc3"}'):
        detail = _assert_small_422(api.post(body))
        assert detail[0]["type"] == "json_invalid"


def test_a_lone_surrogate_in_json_is_422(api: Api) -> None:
    _assert_small_422(api.post(b'{"logs": "\\ud800 failed"}'))


@pytest.mark.parametrize(
    "path", ["/v1/scout/issues", "/v1/scout/repositories", "/scout", "/v1/analyses"]
)
def test_offsets_past_the_integer_range_are_422(api: Api, path: str) -> None:
    headers = {"X-API-Key": api.key}
    cases = [{"offset": str(HUGE)}, {"offset": "-1"}]
    if path != "/scout":  # the page has no limit parameter
        cases.append({"limit": str(HUGE)})
    for params in cases:
        r = api.client.get(path, params=params, headers=headers)
        _assert_small_422(r)
    assert api.client.get(path, params={"offset": "0"}, headers=headers).status_code == 200


def test_scout_offset_bound_is_documented_and_enforced(api: Api) -> None:
    r = api.client.get("/v1/scout/issues", params={"offset": "1000001"})
    assert _assert_small_422(r)[0]["loc"] == ["query", "offset"]
    assert api.client.get("/v1/scout/issues", params={"offset": "1000000"}).status_code == 200
    params = api.client.get("/openapi.json").json()["paths"]["/v1/scout/issues"]["get"]
    offset = next(p for p in params["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 1_000_000


def test_openapi_422_schema_matches_the_answers(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    error = spec["components"]["schemas"]["ValidationError"]
    assert set(error["properties"]) == {"loc", "msg", "type"}
    assert set(error["required"]) == {"loc", "msg", "type"}
    post = spec["paths"]["/v1/analyses"]["post"]["responses"]
    assert post["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }


class _Items(BaseModel):
    numbers: list[int]


def test_at_most_twenty_errors_each_bounded() -> None:
    app = FastAPI()
    errors.install(app)

    @app.post("/items")
    def items(body: _Items) -> dict[str, int]:
        return {"n": len(body.numbers)}

    client = TestClient(app)
    r = client.post("/items", json={"numbers": ["x" * 10_000] * 5000})
    detail = _assert_small_422(r, limit=20_000)
    assert len(detail) == errors.MAX_ERRORS
    assert detail[0]["loc"] == ["body", "numbers", 0] and detail[0]["type"] == "int_parsing"


def test_clean_error_keeps_type_loc_msg_only() -> None:
    error = {
        "type": "string_too_long",
        "loc": ("query", "q"),
        "msg": "m" * 5000,
        "input": "x" * 10_000,
        "ctx": {"max_length": 200, "error": ValueError("x" * 10_000)},
    }
    cleaned = errors.clean_error(error)
    assert set(cleaned) == {"type", "loc", "msg"}
    assert cleaned["loc"] == ["query", "q"] and len(cleaned["msg"]) == errors.MAX_TEXT


def test_405_names_every_method_of_the_path(api: Api) -> None:
    for path, allow in (
        ("/v1/analyses", "GET, POST"),  # two routes: Starlette named only the first's
        ("/healthz", "GET, HEAD"),
        ("/webhooks/github", "POST"),
    ):
        r = api.client.request("OPTIONS", path)
        assert r.status_code == 405
        assert r.headers["allow"] == allow

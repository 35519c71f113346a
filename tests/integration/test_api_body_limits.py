"""Body limits hold while a body is read and while it is decompressed (issue 8 §3.1).

A gzip body of a few hundred KB can carry gigabytes: the limit must stop the inflater,
not a check after it. The inflater is wrapped to count what it produced, so the tests
assert on bytes, not on time or memory.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from argusai.ciapi import apikeys, tenants
from argusai.ciapi.guard import ApiError
from argusai.ciapi.intake import JSON_SLACK, CappedInflater
from argusai.cilog.models import Analysis
from argusai.store.models import WebhookDelivery
from tests.conftest import make_settings
from tests.fakes.keys import generate_rsa_keypair
from tests.support import WEBHOOK_SECRET, app_client, deliver, make_runtime

CAP = 256 * 1024  # the server's log limit in these tests (ARGUS_CI_MAX_LOG_BYTES)
_real_decompressobj = zlib.decompressobj


@dataclass
class Produced:
    """Bytes every zlib decompressor of the process produced (the test's meter)."""

    total: int = 0
    largest: int = 0  # the most one call produced


class _Counting:
    def __init__(self, meter: Produced, *args: Any, **kwargs: Any) -> None:
        self._z = _real_decompressobj(*args, **kwargs)
        self._meter = meter

    def decompress(self, data: Any, max_length: int = 0) -> bytes:
        out = self._z.decompress(data, max_length)
        self._meter.total += len(out)
        self._meter.largest = max(self._meter.largest, len(out))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._z, name)


@pytest.fixture
def produced(monkeypatch: pytest.MonkeyPatch) -> Produced:
    meter = Produced()
    monkeypatch.setattr(zlib, "decompressobj", lambda *a, **k: _Counting(meter, *a, **k))
    return meter


def gzip_of_zeros(size: int, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    """A gzip member of ``prefix + size × b'0' + suffix``, made without holding it whole."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(prefix)]
    block = b"0" * (1024 * 1024)
    left = size
    while left > 0:
        parts.append(packer.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(packer.compress(suffix))
    parts.append(packer.flush())
    return b"".join(parts)


@dataclass
class Api:
    client: Any
    key: str
    rt: Any

    def post(self, body: bytes, content_type: str, gzip_header: bool = True) -> Any:
        headers = {"X-API-Key": self.key, "Content-Type": content_type}
        if gzip_header:
            headers["Content-Encoding"] = "gzip"
        return self.client.post("/v1/analyses", content=body, headers=headers)

    def analyses(self) -> int:
        with self.rt.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(Analysis)) or 0)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = make_settings(
        tmp_path, ci_max_log_bytes=CAP, secret_key="test-server-secret-key-value"
    )
    rt = make_runtime(settings)
    tenants.create_tenant(rt.db, settings, "acme", "starter")  # the tier allows 50 MB
    key = apikeys.create_key(rt.db, "acme", "ci").key
    yield Api(app_client(rt), key, rt)
    rt.db.dispose()


BOMB = 40 * CAP  # 10 MB of JSON or text behind a few KB of gzip


@pytest.mark.parametrize(
    ("content_type", "gzip_header", "limit"),
    [
        ("application/json", True, CAP + JSON_SLACK),
        ("application/json", False, CAP + JSON_SLACK),  # gzip recognised by its magic
        ("text/plain", True, CAP),
        ("text/plain; charset=utf-8", False, CAP),
        ("application/octet-stream", True, CAP),
        ("application/gzip", False, CAP),
    ],
)
def test_gzip_bomb_is_refused_before_more_than_the_limit_is_inflated(
    api: Api, produced: Produced, content_type: str, gzip_header: bool, limit: int
) -> None:
    if content_type == "application/json":
        body = gzip_of_zeros(BOMB, prefix=b'{"logs": "', suffix=b'"}')
    else:
        body = gzip_of_zeros(BOMB)
    assert len(body) < 64 * 1024
    r = api.post(body, content_type, gzip_header)
    assert r.status_code == 413, r.text
    assert "limit" in r.json()["detail"]
    # before: a JSON body could inflate to 2 × limit + slack, and was parsed before the check
    assert 0 < produced.total <= limit + 1
    assert produced.largest <= 1024 * 1024  # inflated in steps, never one huge buffer
    assert api.analyses() == 0


def test_json_over_the_limit_but_under_twice_it_is_not_parsed(api: Api, produced: Produced) -> None:
    # the old bound (2 × cap + 64 KB) let this through to the JSON parser
    body = gzip_of_zeros(int(1.8 * CAP), prefix=b'{"logs": "', suffix=b'"}')
    r = api.post(body, "application/json")
    assert r.status_code == 413
    assert produced.total <= CAP + JSON_SLACK + 1


def test_plain_json_over_the_limit_is_refused_before_parsing(api: Api) -> None:
    body = json.dumps({"logs": "x" * (CAP + JSON_SLACK)}).encode()
    r = api.post(body, "application/json", gzip_header=False)
    assert r.status_code == 413


def test_a_log_under_the_limit_still_goes_through_gzip_or_not(api: Api) -> None:
    text = b"Run pytest\nE   assert 1 == 2\n" * 2000  # ~60 KB: asynchronous
    for body, ctype, header in (
        (gzip.compress(text), "text/plain", True),
        (gzip.compress(text), "application/octet-stream", False),
        (gzip.compress(json.dumps({"logs": text.decode()}).encode()), "application/json", True),
        (text, "text/plain", False),
    ):
        r = api.post(body, ctype, header)
        assert r.status_code == 202, r.text
        assert r.json()["logs_size_bytes"] == len(text)


def test_multi_member_gzip_is_one_log(api: Api) -> None:
    body = gzip.compress(b"part one\n" * 2000) + gzip.compress(b"E   failed\n" * 2000)
    r = api.post(body, "text/plain")
    assert r.status_code == 202
    assert r.json()["logs_size_bytes"] == 9 * 2000 + 11 * 2000


def test_broken_or_truncated_gzip_is_400(api: Api) -> None:
    whole = gzip.compress(b"some log line\n" * 5000)
    assert api.post(whole[: len(whole) // 2], "text/plain").status_code == 400
    assert api.post(b"\x1f\x8bnot gzip at all", "text/plain").status_code == 400
    assert api.analyses() == 0


def test_inflater_counts_and_stops_at_the_limit(produced: Produced) -> None:
    bomb = gzip_of_zeros(64 * 1024 * 1024)  # 64 MB behind ~64 KB
    inflater = CappedInflater(8 * 1024 * 1024)
    with pytest.raises(ApiError) as refused:
        inflater.feed(bomb)
    assert refused.value.status == 413
    assert inflater.produced == produced.total == 8 * 1024 * 1024 + 1
    assert produced.largest <= 1024 * 1024  # in steps: no single 8 MB buffer
    ok = CappedInflater(1000)
    ok.feed(gzip.compress(b"a" * 1000))
    assert bytes(ok.finish()) == b"a" * 1000 and ok.produced == 1000


def test_webhook_body_is_capped_while_read_and_never_inflated(
    tmp_path: Path, produced: Produced
) -> None:
    settings = make_settings(
        tmp_path,
        github_app_id=1,
        github_private_key=generate_rsa_keypair()[0],
        github_webhook_secret=WEBHOOK_SECRET,
        max_webhook_bytes=64 * 1024,
    )
    rt = make_runtime(settings)
    client = app_client(rt)
    big = json.dumps({"action": "opened", "pad": "x" * 70_000}).encode()
    assert deliver(client, "issues", big).status_code == 413
    # a signed gzip body is not JSON: refused as such, never decompressed
    packed = gzip_of_zeros(10 * 1024 * 1024, prefix=b'{"action": "', suffix=b'"}')
    r = deliver(client, "issues", packed)
    assert r.status_code == 400 and r.json()["status"] == "bad_json"
    assert produced.total == 0
    with rt.db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    rt.db.dispose()

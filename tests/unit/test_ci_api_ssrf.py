"""SSRF rules for callback URLs, with a fake resolver (no DNS, no network)."""

from __future__ import annotations

import pytest

from argusai.ci.callbacks import sign, verify
from argusai.ci.ssrf import UnsafeURL, check_url
from argusai.ci.tiers import TIERS, max_log_bytes, monthly_quota, tier_named
from tests.conftest import make_settings


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return lambda host, _port: table[host]


DNS = resolver(
    {
        "hooks.example.com": ["93.184.216.34"],
        "sneaky.example.com": ["93.184.216.34", "10.1.2.3"],
        "localhost": ["127.0.0.1", "::1"],
        "me.localtest.me": ["127.0.0.1"],
        "v6.example.com": ["::ffff:192.168.1.1"],
    }
)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://localhost/hook",
        "http://me.localtest.me/hook",
        "http://sneaky.example.com/",  # one private answer is enough
        "http://v6.example.com/",  # IPv4-mapped private address
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
        "ftp://hooks.example.com/",
        "http://user:pw@hooks.example.com/",
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        check_url(url, (), DNS)


def test_public_and_allowlisted() -> None:
    target = check_url("https://hooks.example.com/cb?x=1", (), DNS)
    assert (target.address, target.port, target.host) == ("93.184.216.34", 443, "hooks.example.com")
    assert check_url("http://127.0.0.1:9/x", ("127.0.0.1",), DNS).address == "127.0.0.1"
    assert check_url("http://10.0.0.7/x", ("10.0.0.0/8",), DNS).address == "10.0.0.7"
    assert check_url("http://localhost/x", ("localhost",), DNS).host == "localhost"


def test_signature_round_trip() -> None:
    body = b'{"event":"analysis.completed"}'
    signature = sign("whsec_x", body)
    assert signature.startswith("sha256=") and verify("whsec_x", body, signature)
    assert not verify("whsec_y", body, signature)


def test_tiers_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path)
    assert [t.requests_per_minute for t in TIERS.values()] == [10, 100, 1000, None]
    assert max_log_bytes(tier_named("pro"), settings) == 50 * 1024 * 1024  # server cap wins
    assert max_log_bytes(tier_named("Free"), settings) == 1024 * 1024
    assert monthly_quota(tier_named("free"), None) == 1000
    assert monthly_quota(tier_named("free"), 5) == 5
    with pytest.raises(ValueError, match="unknown tier"):
        tier_named("gold")

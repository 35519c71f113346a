"""SSRF rules for callback URLs, with a fake resolver (no DNS, no network)."""

from __future__ import annotations

import pytest

from argusai.ciapi.callbacks import sign, verify
from argusai.ciapi.tiers import TIERS, max_log_bytes, monthly_quota, tier_named
from argusai.egress.ssrf import UnsafeURL, check_url
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
        "nat64.example.com": ["64:ff9b::5db8:d822"],  # 93.184.216.34 through NAT64
        "sixtofour.example.com": ["2002:5db8:d822::1"],  # 93.184.216.34 through 6to4
    }
)


def _nxdomain(host: str, port: int) -> list[str]:
    """The system resolver, answering NXDOMAIN without asking any DNS server."""
    import socket
    from unittest import mock

    from argusai.egress.ssrf import system_resolver

    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    with mock.patch.object(socket, "getaddrinfo", side_effect=error):
        return system_resolver(host, port)


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
        # IPv6 forms that carry a private IPv4 address
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:a00:1::1]/",  # 6to4 of 10.0.0.1
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::5db8:d822]/",  # local-use NAT64: refused whatever it carries
        "http://[2001:0:5db8:d822::1]/",  # Teredo: refused outright
        "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
        "http://[::5db8:d822]/",  # IPv4-compatible, even of a public address
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[::ffff:7f00:1]/",  # the same, written in hex
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        check_url(url, (), DNS)


def test_refusals_say_not_allowed_and_nothing_about_dns() -> None:
    """A private answer, no answer and a private literal read the same: no DNS oracle."""
    texts = set()
    for url, dns in (
        ("http://me.localtest.me/hook", DNS),
        ("http://sneaky.example.com/", DNS),
        ("http://10.0.0.1/x", DNS),
        ("http://[2002:7f00:1::]/", DNS),
        ("http://internal-name/x", _nxdomain),
    ):
        with pytest.raises(UnsafeURL) as caught:
            check_url(url, (), dns)
        texts.add(str(caught.value))
        assert caught.value.detail  # the real reason, for the server's log only
    assert texts == {"callback_url is not allowed"}
    with pytest.raises(UnsafeURL, match=r"^callback_url is not allowed: only http and https"):
        check_url("ftp://hooks.example.com/", (), DNS)


def test_public_addresses_inside_ipv6_forms_pass() -> None:
    assert check_url("http://nat64.example.com/", (), DNS).address == "64:ff9b::5db8:d822"
    assert check_url("http://sixtofour.example.com/", (), DNS).address == "2002:5db8:d822::1"
    # the allowlist matches the address as written, not what it embeds
    with pytest.raises(UnsafeURL):
        check_url("http://[2002:7f00:1::]/", ("127.0.0.1",), DNS)


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

"""Channels: which URLs ArgusAI sends to, how they are named and masked, and which hosts
the SSRF rules let it reach (a fake resolver: no DNS)."""

from __future__ import annotations

import pytest

from argusai.egress.ssrf import UnsafeURL
from argusai.errors import InputError
from argusai.notify.channels import ChannelKind, check_channel, parse_channel, targets

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
SLACK_NATIVE = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
DISCORD = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
DNS = {
    "hooks.slack.com": ["3.33.0.1"],
    "discord.com": ["162.159.0.1"],
    "smtp.example.com": ["93.184.216.34"],
    "intranet.example.com": ["10.1.2.3"],
    "hooks.example.com": ["93.184.216.35"],
}


def resolve(host: str, _port: int) -> list[str]:
    return DNS[host]


@pytest.mark.parametrize(
    ("url", "kind", "shown"),
    [
        (SLACK, ChannelKind.SLACK, "slack://T...2/A...D/T...7"),
        (SLACK_NATIVE, ChannelKind.SLACK, "slack://T...2/A...D/T...7"),
        (DISCORD, ChannelKind.DISCORD, "discord://4...8/J...s"),
        ("mailtos://ops:pw12345678@smtp.example.com?to=a@example.com", ChannelKind.EMAIL, None),
        ("https://hooks.example.com/argus/abcdef123456", ChannelKind.WEBHOOK, None),
    ],
)
def test_kinds_and_masked_forms(url: str, kind: ChannelKind, shown: str | None) -> None:
    channel = parse_channel(url)
    assert channel.kind is kind
    if shown is not None:
        assert channel.display == shown
    for secret in ("TIiajkdnlazkcOXrIdevi7", "JHMHI8qBe7bk2ZwO5U711o3dV_js", "pw12345678"):
        assert secret not in channel.display and secret not in repr(channel)
    assert "abcdef123456" not in channel.display


def test_the_native_and_apprise_forms_of_one_webhook_are_one_channel() -> None:
    assert parse_channel(SLACK).key == parse_channel(SLACK_NATIVE).key
    assert parse_channel(SLACK).key != parse_channel(DISCORD).key


@pytest.mark.parametrize("url", ["json://example.com/x", "telegram://a/b", "ftp://x/y", "nope"])
def test_other_services_are_refused_with_the_supported_list(url: str) -> None:
    with pytest.raises(InputError, match=r"slack://, discord://"):
        parse_channel(url)


def test_a_broken_slack_url_is_refused() -> None:
    with pytest.raises(InputError, match="not a valid slack://"):
        parse_channel("slack://onlyone")


def test_targets_are_where_apprise_connects() -> None:
    assert targets(parse_channel(SLACK)) == [("hooks.slack.com", 443)]
    assert targets(parse_channel(DISCORD)) == [("discord.com", 443)]
    email = parse_channel("mailtos://ops:pw12345678@smtp.example.com?to=a@example.com")
    assert targets(email) == [("smtp.example.com", 587)]


def test_public_hosts_pass_the_ssrf_rules() -> None:
    for url in (SLACK, DISCORD, "https://hooks.example.com/x"):
        check_channel(parse_channel(url), (), resolve)


@pytest.mark.parametrize(
    "url",
    [
        "https://intranet.example.com/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/hook",
        "mailto://intranet.example.com?to=ops@example.com&from=a@example.com",
        "mailto://10.0.0.5:25?to=ops@example.com&from=a@example.com",
    ],
)
def test_private_and_loopback_hosts_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        check_channel(parse_channel(url), (), resolve)
    assert "non-public address" in caught.value.detail


def test_the_allowlist_admits_a_host_or_cidr() -> None:
    check_channel(parse_channel("http://127.0.0.1:8080/hook"), ("127.0.0.1",), resolve)
    check_channel(parse_channel("https://intranet.example.com/h"), ("10.0.0.0/8",), resolve)

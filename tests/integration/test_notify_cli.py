"""``argus notify add|list|remove|test`` as an operator runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argusai.ciapi.callbacks import SIGNATURE_HEADER, verify
from argusai.cli import app
from tests.fakes.fake_notify import SLACK_PATH, Receiver, point_apprise_at, receiver

SLACK_TOKEN = "TIiajkdnlazkcOXrIdevi7"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with receiver() as got:
        point_apprise_at(monkeypatch, got.base_url)
        yield got


def test_a_private_or_loopback_url_is_refused_with_the_way_out(data_dir: Path) -> None:
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/", "http://10.1.2.3/"):
        result = CliRunner().invoke(app, ["notify", "add", url])
        assert result.exit_code == 2, result.output
        line = result.output.strip()
        assert line.startswith("argus: error: notification URL refused:")
        assert "non-public address" in line and "ARGUS_NOTIFY_ALLOWLIST" in line
    listed = CliRunner().invoke(app, ["notify", "list"])
    assert "no notification routes" in listed.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["telegram://bot/chat"], "unsupported channel telegram://"),
        (["slack://a"], "not a valid slack:// URL"),
        (["https://example.com/h", "--repo", "nope"], "a repository is owner/name"),
        (["https://example.com/h", "--events", "reviews"], "unknown event(s) reviews"),
        (["https://example.com/h", "--repo", "a/b", "--tenant", "t"], "not several"),
    ],
)
def test_mistakes_are_one_line(data_dir: Path, args: list[str], said: str) -> None:
    result = CliRunner().invoke(app, ["notify", "add", *args])
    assert result.exit_code == 2 and said in result.output, result.output


def test_route_lifecycle_with_a_signed_test_message(
    data_dir: Path, fake: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_NOTIFY_ALLOWLIST", "127.0.0.1")
    run = CliRunner().invoke
    hook = f"{fake.base_url}/in/hook-path-0123456789"
    added = run(app, ["notify", "add", hook, "--repo", "Acme/App", "--events", "dead_letter"])
    assert added.exit_code == 0, added.output
    lines = added.output.strip().splitlines()
    assert lines[0] == (
        f"route 1: webhook http://127.0.0.1:{fake.base_url.rsplit(':', 1)[1]}/… "
        "(repository acme/app, events dead_letter)"
    )
    secret = lines[-1]
    slack = run(app, ["notify", "add", f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}"])
    assert slack.exit_code == 0 and "route 2: slack slack://T...2/A...D/T...7" in slack.output
    again = run(
        app,
        ["notify", "add", f"https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}"],
    )
    assert again.exit_code == 2 and "already routed" in again.output  # the same channel
    listed = run(app, ["notify", "list"])
    assert "repository acme/app" in listed.output and "slack://T...2/A...D/T...7" in listed.output
    for hidden in ("hook-path-0123456789", SLACK_TOKEN, secret):
        assert hidden not in listed.output
    db = b"".join(p.read_bytes() for p in data_dir.glob("argus.db*"))
    for hidden in ("hook-path-0123456789", SLACK_TOKEN, secret):
        assert hidden.encode() not in db  # encrypted at rest

    tested = run(app, ["notify", "test", "1"])
    assert tested.exit_code == 0 and "sent" in tested.output
    (got,) = fake.on("/in/")
    assert verify(secret, got.body, got.headers[SIGNATURE_HEADER.lower()])
    assert got.json["title"] == "ArgusAI test notification"
    everything = run(app, ["notify", "test"])
    assert everything.exit_code == 0 and everything.output.count("sent") == 2
    assert len(fake.on(SLACK_PATH)) == 1

    assert run(app, ["notify", "remove", "1"]).exit_code == 0
    gone = run(app, ["notify", "remove", "1"])
    assert gone.exit_code == 2 and "no notification route 1" in gone.output


def test_a_failing_channel_fails_the_test_command(
    data_dir: Path, fake: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_NOTIFY_ALLOWLIST", "127.0.0.1")
    CliRunner().invoke(app, ["notify", "add", f"{fake.base_url}/hook", "--secret", "s" * 24])
    fake.always = 500
    result = CliRunner().invoke(app, ["notify", "test"])
    assert result.exit_code == 1 and "failed" in result.output and "answered 500" in result.output


def test_the_settings_channels_are_listed_and_a_bad_one_is_named_by_position(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "ARGUS_NOTIFY_URLS", f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}, https://example.com/h"
    )
    monkeypatch.setenv("ARGUS_NOTIFY_WEBHOOK_SECRET", "w" * 24)
    listed = CliRunner().invoke(app, ["notify", "list"])
    assert listed.exit_code == 0
    assert "env" in listed.output and "https://example.com/…" in listed.output
    assert SLACK_TOKEN not in listed.output
    monkeypatch.setenv("ARGUS_NOTIFY_URLS", f"telegram://{SLACK_TOKEN}/x")
    bad = CliRunner().invoke(app, ["notify", "list"])
    assert bad.exit_code == 2 and "ARGUS_NOTIFY_URLS: channel 1: unsupported" in bad.output
    assert SLACK_TOKEN not in bad.output

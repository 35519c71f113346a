"""The dashboard's pure parts: chart geometry, the sealed session cookie, local links,
where a sign-in may send the browser back to."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from argusai.web.dashboard import local_link
from argusai.web.dashboard.charts import bar_chart, duration, money, nice_ceiling, percent
from argusai.web.dashboard.session import CookieBox, Session, session_key
from argusai.web.dashboard.signin import safe_next
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1.0), (-3, 1.0), (0.7, 1.0), (3, 5.0), (11, 20.0), (24, 25.0), (0.013, 0.02)],
)
def test_nice_ceiling(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_bar_chart_scales_bars_to_the_plot_and_keeps_every_figure_as_text() -> None:
    chart = bar_chart("r", "Reviews", [("a", 0.0), ("b", 5.0), ("c", 2.5)])
    assert [b.label for b in chart.bars] == ["b", "c"]  # a zero draws no bar
    tall, half = chart.bars
    assert tall.y + tall.height == pytest.approx(chart.plot_bottom)
    assert half.height == pytest.approx(tall.height / 2)
    assert chart.rows == (("a", "0"), ("b", "5"), ("c", "2.5"))
    assert [t.text for t in chart.ticks] == ["0", "2.5", "5"]
    assert bar_chart("e", "Empty", [("a", 0.0)]).empty


def test_value_formats() -> None:
    assert (money(0), money(1234.5), money(0.0031)) == ("$0.00", "$1,234.50", "$0.0031")
    assert (duration(None), duration(850), duration(12_500), duration(192_000)) == (
        "–",
        "850 ms",
        "12.5 s",
        "3.2 min",
    )
    assert (percent(None), percent(0.704)) == ("–", "70 %")


def test_cookie_round_trip_tamper_expiry_and_other_keys(tmp_path: Path) -> None:
    box = CookieBox(session_key(make_settings(tmp_path)), 3600)
    session = Session.new("alice", token="ghu_secret_token_value")
    value = box.seal_session(session)
    assert "ghu_secret" not in value and "alice" not in value  # encrypted, not only signed
    assert box.open_session(value) == session
    flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
    assert box.open_session(flipped) is None
    assert box.open_session("") is None and box.open_session("garbage") is None
    other = CookieBox(Fernet.generate_key(), 3600)
    assert other.open_session(value) is None
    assert CookieBox(session_key(make_settings(tmp_path)), 0).open(value, ttl=-1) is None


def test_session_key_is_derived_from_the_server_secret(tmp_path: Path) -> None:
    one = session_key(make_settings(tmp_path, secret_key="passphrase one"))
    assert one == session_key(make_settings(tmp_path / "other", secret_key="passphrase one"))
    assert one != session_key(make_settings(tmp_path, secret_key="passphrase two"))
    from_file = session_key(make_settings(tmp_path))  # <data_dir>/secret.key made once
    assert from_file == session_key(make_settings(tmp_path))
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o077 == 0


def test_local_links_work_once_and_expire(tmp_path: Path) -> None:
    link = local_link.create(tmp_path, "cli:ada")
    assert link.expires_at > time.time()
    assert local_link.consume(tmp_path, link.token) == "ada"
    assert local_link.consume(tmp_path, link.token) is None
    stale = local_link.create(tmp_path, "cli:ada", minutes=-1)
    assert local_link.consume(tmp_path, stale.token) is None
    assert local_link.consume(tmp_path, "../../etc/passwd") is None
    local_link.create(tmp_path, "cli:ada", minutes=-1)
    assert local_link.prune(tmp_path) == 1
    local_link.create(tmp_path, "cli:ada", minutes=-1)
    local_link.create(tmp_path, "cli:ada")  # clears expired links on the way
    files = list((tmp_path / local_link.LINKS_DIR).iterdir())
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        (None, "/dashboard"),
        ("/dashboard/work", "/dashboard/work"),
        ("https://evil.example/dashboard", "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
        ("/dashboard//evil.example", "/dashboard"),
        ("/dashboard\\..\\x", "/dashboard"),
        ("/docs", "/dashboard"),
    ],
)
def test_safe_next(given: str | None, safe: str) -> None:
    assert safe_next(given) == safe


def test_authorize_url_on_github_enterprise() -> None:
    from urllib.parse import parse_qs, urlsplit

    from argusai.github.oauth import authorize_url

    url = authorize_url("https://ghe.example.com/", "Iv1.abc", "st&te", "https://argus/cb?x=1")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "ghe.example.com",
        "/login/oauth/authorize",
    )
    assert parse_qs(parts.query) == {
        "client_id": ["Iv1.abc"],
        "state": ["st&te"],
        "redirect_uri": ["https://argus/cb?x=1"],
    }

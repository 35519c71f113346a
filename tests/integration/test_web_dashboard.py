"""The dashboard's sign-in and actions over HTTP: GitHub's OAuth web flow against the fake
GitHub on loopback, sessions, CSRF, admin rights, one-time local links, what a user sees."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from argusai.cli import app as cli
from argusai.runtime import Runtime
from argusai.store import audit
from argusai.store.models import DeadLetter, Review
from argusai.web.app import create_app
from argusai.web.dashboard import local_link
from argusai.web.dashboard.session import COOKIE, FLOW_COOKIE
from tests.conftest import make_settings
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_github_oauth import FakeOAuth, fake_oauth
from tests.fakes.keys import generate_rsa_keypair
from tests.support import make_runtime
from tests.support.dashboard import ACME_REPOS, HOSTILE, SECRET_REPO, Seeded, seed

CLIENT_ID = "Iv1.dashboardtest"
CLIENT_SECRET = "dashboard-client-secret-value"


@dataclass
class Site:
    gh: FakeGitHub
    oauth: FakeOAuth
    rt: Runtime
    client: TestClient
    seeded: Seeded


def _world(tmp_path: Path, **overrides: Any) -> Iterator[Site]:
    _, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=1, public_key_pem=public_pem) as gh:
        gh.add_installation(101, "acme")
        gh.add_installation(202, "globex")
        for name in ACME_REPOS:
            gh.add_repo(*name.split("/"), installation_id=101)
        gh.add_repo(*SECRET_REPO.split("/"), installation_id=202, private=True)
        oauth = fake_oauth(gh)
        oauth.configure(CLIENT_ID, CLIENT_SECRET)
        oauth.add_user("alice", ACME_REPOS)  # can reach acme's repositories only
        oauth.add_user("root-admin", ["acme/api"])
        values: dict[str, Any] = {
            "github_api_url": gh.base_url,
            "github_web_url": gh.base_url,
            "github_client_id": CLIENT_ID,
            "github_client_secret": CLIENT_SECRET,
            "admin_logins": ("Root-Admin",),
            **overrides,
        }
        rt = make_runtime(make_settings(tmp_path, **values))
        seeded = seed(rt)
        with TestClient(create_app(rt)) as client:
            yield Site(gh, oauth, rt, client, seeded)
        rt.db.dispose()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from _world(tmp_path)


def start_sign_in(site: Site) -> httpx.Response:
    """/dashboard/login → GitHub's authorize (the fake, over real HTTP) → back with a code."""
    login = site.client.get("/dashboard/login", follow_redirects=False)
    assert login.status_code == 303
    authorize = login.headers["location"]
    assert authorize.startswith(f"{site.gh.base_url}/login/oauth/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/dashboard/callback"]
    back = httpx.get(authorize, follow_redirects=False)
    assert back.status_code == 302
    return back


def sign_in(site: Site, login: str) -> None:
    site.oauth.sign_in_as(login)
    back = start_sign_in(site)
    done = site.client.get(back.headers["location"], follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/dashboard"
    assert COOKIE in site.client.cookies


def csrf_of(site: Site, path: str = "/dashboard") -> str:
    html = site.client.get(path).text
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_pages_send_a_visitor_without_session_to_sign_in(site: Site) -> None:
    for path in ("/dashboard", "/dashboard/work", "/dashboard/repositories/acme/api"):
        answer = site.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/dashboard/signin?next=")
    page = site.client.get("/dashboard/signin")
    assert "Sign in with GitHub" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # none at all
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_github_sign_in_shows_a_user_only_their_repositories(site: Site) -> None:
    sign_in(site, "alice")
    assert site.oauth.exchanges == 1
    overview = site.client.get("/dashboard")
    assert overview.status_code == 200
    assert "alice" in overview.text and "admin" not in overview.text.split("<main>")[0]
    assert 'id="card-dead"' not in overview.text  # dead letters: admins only
    listing = site.client.get("/dashboard/repositories").text
    assert "acme/api" in listing and "acme/web" in listing
    assert SECRET_REPO not in listing
    assert site.client.get("/dashboard/repositories/globex/secret").status_code == 404
    assert site.client.get("/dashboard/repositories/globex/secret/pulls/7").status_code == 404
    ci = site.client.get("/dashboard/ci").text
    assert SECRET_REPO not in ci and "oom" not in ci  # the secret repo's failure category
    assert site.client.get("/dashboard/work").status_code == 403
    assert site.client.get("/dashboard/audit").status_code == 403
    # the access list was asked once and is cached for the session
    assert len(site.gh.requests("GET", "/user/installations")) == 1


def test_a_user_sees_findings_with_outcomes_escaped(site: Site) -> None:
    sign_in(site, "alice")
    pull = site.client.get("/dashboard/repositories/acme/api/pulls/99")
    assert pull.status_code == 200
    assert "<script>alert" not in pull.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pull.text
    assert HOSTILE not in pull.text
    assert 'id="pause"' not in pull.text  # pausing is for admins


def test_bad_or_missing_state_is_refused_with_400(site: Site) -> None:
    site.oauth.sign_in_as("alice")
    back = start_sign_in(site)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    forged = site.client.get(f"/dashboard/callback?code={code}&state=forged")
    assert forged.status_code == 400
    assert "state" in forged.text
    site.client.cookies.delete(FLOW_COOKIE, path="/dashboard")
    no_cookie = site.client.get(back.headers["location"])
    assert no_cookie.status_code == 400
    assert site.oauth.exchanges == 0  # the code was never exchanged
    assert COOKIE not in site.client.cookies


def test_a_code_github_refuses_is_400(site: Site) -> None:
    site.oauth.sign_in_as("alice")
    back = start_sign_in(site)
    state = parse_qs(urlsplit(back.headers["location"]).query)["state"][0]
    refused = site.client.get(f"/dashboard/callback?code=not-a-code&state={state}")
    assert refused.status_code == 400
    assert COOKIE not in site.client.cookies


def test_post_without_csrf_token_is_403(site: Site) -> None:
    sign_in(site, "root-admin")
    form = {"kind": "review", "item_id": str(site.seeded.dead_review_id)}
    assert site.client.post("/dashboard/work/retry", data=form).status_code == 403
    wrong = site.client.post("/dashboard/work/retry", data={**form, "csrf": "x" * 32})
    assert wrong.status_code == 403
    assert site.client.post("/dashboard/logout", data={}).status_code == 403
    assert _dead_letters(site.rt) == [str(site.seeded.dead_review_id)]


def test_non_admin_retry_is_403(site: Site) -> None:
    sign_in(site, "alice")
    form = {
        "kind": "review",
        "item_id": str(site.seeded.dead_review_id),
        "csrf": csrf_of(site),
    }
    answer = site.client.post("/dashboard/work/retry", data=form)
    assert answer.status_code == 403
    assert _dead_letters(site.rt) == [str(site.seeded.dead_review_id)]
    assert audit.recent(site.rt.db) == []


def _dead_letters(rt: Runtime) -> list[str]:
    with rt.db.session() as s:
        return [d.item_id for d in s.query(DeadLetter).filter(DeadLetter.retried_at.is_(None))]


def test_admin_retry_queues_the_item_and_is_audited(site: Site) -> None:
    sign_in(site, "root-admin")
    work = site.client.get("/dashboard/work")
    assert "acme/web#77" in work.text
    item = str(site.seeded.dead_review_id)
    form = {"kind": "review", "item_id": item, "csrf": csrf_of(site, "/dashboard/work")}
    done = site.client.post("/dashboard/work/retry", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert _dead_letters(site.rt) == []
    with site.rt.db.session() as s:
        review = s.get(Review, site.seeded.dead_review_id)
        assert review is not None
        assert (review.status, review.attempts) == ("queued", 0)
    entries = audit.recent(site.rt.db)
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("github:root-admin", "jobs.retry", f"review {item}")
    ]
    again = site.client.post("/dashboard/work/retry", data=form)
    assert again.status_code == 409  # queued now, not failed
    assert "review " + item in site.client.get("/dashboard/audit").text


def test_admin_pauses_and_resumes_a_pull_request(site: Site) -> None:
    sign_in(site, "root-admin")
    path = "/dashboard/repositories/acme/api/pulls/99"
    form = {"paused": "1", "csrf": csrf_of(site, path)}
    assert site.client.post(f"{path}/pause", data=form, follow_redirects=False).status_code == 303
    assert 'id="paused">paused<' in site.client.get(path).text
    site.client.post(f"{path}/pause", data={**form, "paused": "0"})
    assert 'id="paused">on<' in site.client.get(path).text
    actions = [e.action for e in audit.recent(site.rt.db)]
    assert actions == ["pr.resume", "pr.pause"]


def test_logout_ends_the_session(site: Site) -> None:
    sign_in(site, "alice")
    out = site.client.post(
        "/dashboard/logout", data={"csrf": csrf_of(site)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert out.headers["location"] == "/dashboard/signin?out=1"
    assert COOKIE not in site.client.cookies
    assert site.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_tampered_cookie_is_no_session(site: Site) -> None:
    sign_in(site, "alice")
    value = site.client.cookies[COOKIE]
    middle = len(value) // 2
    tampered = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    site.client.cookies.clear()
    site.client.cookies.set(COOKIE, tampered)
    assert site.client.get("/dashboard", follow_redirects=False).status_code == 303
    site.client.cookies.clear()
    site.client.cookies.set(COOKIE, value)
    assert site.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_a_revoked_token_signs_the_user_out(tmp_path: Path) -> None:
    for site in _world(tmp_path, dashboard_access_ttl_seconds=0):  # GitHub asked every time
        sign_in(site, "alice")
        assert site.client.get("/dashboard").status_code == 200
        site.oauth.revoke_all()
        answer = site.client.get("/dashboard", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/dashboard/signin")


def test_access_follows_github_after_the_cache(tmp_path: Path) -> None:
    for site in _world(tmp_path, dashboard_access_ttl_seconds=0):
        sign_in(site, "alice")
        assert "acme/web" in site.client.get("/dashboard/repositories").text
        site.oauth.users["alice"] = {"acme/api"}  # removed from acme/web on GitHub
        listing = site.client.get("/dashboard/repositories").text
        assert "acme/web" not in listing and "acme/api" in listing


# ---- local links (no OAuth) -------------------------------------------------------------


@pytest.fixture
def local_site(tmp_path: Path) -> Iterator[Site]:
    yield from _world(tmp_path, github_client_id=None, github_client_secret=None)


def test_dashboard_token_link_signs_in_once_as_admin(
    local_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(local_site.rt.settings.data_dir))
    result = CliRunner().invoke(cli, ["dashboard-token", "--url", "http://testserver"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[0]
    assert link.startswith("http://testserver/dashboard/local?token=")
    token = link.split("token=")[1]
    stored = (local_site.rt.settings.data_dir / local_link.LINKS_DIR).iterdir()
    assert all(token not in path.name + path.read_text() for path in stored)  # its hash only
    client = local_site.client
    assert client.get(link, follow_redirects=False).status_code == 303
    work = client.get("/dashboard/work")
    assert work.status_code == 200 and "admin" in work.text
    second = TestClient(client.app).get(link, follow_redirects=False)
    assert second.status_code == 400  # used up
    page = client.get("/dashboard/signin")
    assert "argus dashboard-token" in page.text and "Sign in with GitHub" not in page.text
    assert client.get("/dashboard/login").status_code == 404


def test_expired_or_unknown_links_are_refused(local_site: Site) -> None:
    data_dir = local_site.rt.settings.data_dir
    expired = local_link.create(data_dir, "cli:me", minutes=-1)
    client = local_site.client
    assert client.get(f"/dashboard/local?token={expired.token}").status_code == 400
    assert client.get("/dashboard/local?token=nope").status_code == 400
    assert COOKIE not in client.cookies


def test_local_links_are_off_with_oauth(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    link = local_link.create(site.rt.settings.data_dir, "cli:me")
    assert site.client.get(f"/dashboard/local?token={link.token}").status_code == 404
    monkeypatch.setenv("ARGUS_DATA_DIR", str(site.rt.settings.data_dir))
    monkeypatch.setenv("ARGUS_GITHUB_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ARGUS_GITHUB_CLIENT_SECRET", CLIENT_SECRET)
    result = CliRunner().invoke(cli, ["dashboard-token"])
    assert result.exit_code == 2
    assert "local links are off" in result.stderr


def test_access_reads_every_page_of_installations_and_repositories(site: Site) -> None:
    from argusai.github.oauth import GitHubOAuth

    many = [f"acme/r{i:03d}" for i in range(130)]  # two pages of 100
    for name in many:
        site.gh.add_repo(*name.split("/"), installation_id=101)
    site.oauth.add_user("busy", [*many, SECRET_REPO])
    site.oauth.sign_in_as("busy")
    back = start_sign_in(site)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    client = GitHubOAuth(
        web_url=site.gh.base_url,
        api_url=site.gh.base_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    try:
        token = client.exchange(code, "http://testserver/dashboard/callback")
        access = client.access(token)
    finally:
        client.close()
    assert access.login == "busy"
    assert access.installations == frozenset({101, 202})
    assert access.repositories == frozenset([*many, SECRET_REPO])
    assert not access.truncated
    pages = site.gh.requests("GET", "/user/installations/101/repositories")
    assert [r.query.get("page") for r in pages] == ["1", "2"]

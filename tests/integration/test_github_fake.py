"""The fake GitHub itself: what it refuses, as GitHub would (raw httpx, no adapter)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from argusai.github.app import GitHubApp
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.keys import generate_rsa_keypair

APP_ID = 31


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=APP_ID, public_key_pem=generate_rsa_keypair()[1], prefix="api/v3") as gh:
        gh.add_repo("octo", "hello", installation_id=3)
        yield gh


def app_jwt(*, iss: int = APP_ID, age: int = 0, lifetime: int = 540) -> str:
    now = int(time.time()) - age
    claims = {"iss": str(iss), "iat": now - 30, "exp": now + lifetime}
    return jwt.encode(claims, generate_rsa_keypair()[0], algorithm="RS256")


def mint(fake: FakeGitHub, token: str) -> httpx.Response:
    return httpx.post(
        f"{fake.base_url}/app/installations/3/access_tokens",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_valid_jwt_gets_a_token(fake: FakeGitHub) -> None:
    response = mint(fake, app_jwt())
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("ghs_") and body["expires_at"].endswith("Z")
    repo = httpx.get(
        f"{fake.base_url}/repos/octo/hello", headers={"Authorization": f"token {body['token']}"}
    )
    assert repo.json()["default_branch"] == "main"
    assert fake.tokens_issued(3) == 1


@pytest.mark.parametrize(
    "claims",
    [
        {"age": 3600},  # expired
        {"iss": APP_ID + 1},  # another App
        {"lifetime": 3600},  # longer than GitHub's 10 minutes
        None,  # not a JWT at all
    ],
)
def test_bad_jwts_are_refused(fake: FakeGitHub, claims: dict[str, int] | None) -> None:
    token = "not-a-jwt" if claims is None else app_jwt(**claims)
    assert mint(fake, token).status_code == 401
    assert fake.tokens_issued() == 0


def test_installation_endpoints_need_an_issued_token(fake: FakeGitHub) -> None:
    url = f"{fake.base_url}/repos/octo/hello"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "token ghs_madeup"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {app_jwt()}"}).status_code == 401


def test_paths_outside_the_prefix_are_404(fake: FakeGitHub) -> None:
    token = mint(fake, app_jwt()).json()["token"]
    root = fake.base_url.removesuffix("/api/v3")
    response = httpx.get(f"{root}/repos/octo/hello", headers={"Authorization": f"token {token}"})
    assert response.status_code == 404


def test_link_headers(fake: FakeGitHub) -> None:
    fake.add_pull("octo", "hello", 1, files={f"f{i}": None for i in range(5)})
    token = mint(fake, app_jwt()).json()["token"]
    response = httpx.get(
        f"{fake.base_url}/repos/octo/hello/pulls/1/files",
        params={"per_page": 2, "page": 2},
        headers={"Authorization": f"token {token}"},
    )
    assert [f["filename"] for f in response.json()] == ["f2", "f3"]
    links = response.links
    assert links["next"]["url"].endswith("page=3") and links["last"]["url"].endswith("page=3")
    assert links["prev"]["url"].endswith("page=1")


def test_faults_match_by_pattern_and_run_out(fake: FakeGitHub) -> None:
    fake.fail("*", "/repos/*", 503, times=2)
    url = f"{fake.base_url}/repos/octo/hello"
    assert [httpx.get(url).status_code for _ in range(3)] == [503, 503, 401]


def test_hook_deliveries_through_the_app(fake: FakeGitHub) -> None:
    first = fake.add_delivery("guid-1", "pull_request", action="opened", installation_id=3)
    second = fake.add_delivery("guid-2", "ping", status_code=502)
    with GitHubApp(APP_ID, generate_rsa_keypair()[0], base_url=fake.base_url) as app:
        deliveries = app.list_hook_deliveries()
        app.redeliver(second)
    assert [(d.id, d.guid, d.status_code) for d in deliveries] == [
        (second, "guid-2", 502),
        (first, "guid-1", 200),
    ]
    assert deliveries[1].action == "opened" and deliveries[1].installation_id == 3
    assert fake.redeliveries() == [second]

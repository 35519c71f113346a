"""Failures from the fake GitHub → ArgusAI's error tree, quickly, and without secrets."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from argusai.errors import GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.github.app import GitHubApp
from argusai.github.client import InstallationClient
from argusai.github.port import ReviewCommentDraft
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.keys import generate_other_rsa_keypair, generate_rsa_keypair

APP_ID = 7
INSTALLATION = 8
PULL = "/repos/octo/hello/pulls/1"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=APP_ID, public_key_pem=generate_rsa_keypair()[1]) as gh:
        gh.add_repo("octo", "hello", installation_id=INSTALLATION)
        gh.add_pull("octo", "hello", 1, files={"a.py": "@@ -0,0 +1 @@\n+x"})
        yield gh


@pytest.fixture
def app(fake: FakeGitHub) -> Iterator[GitHubApp]:
    with GitHubApp(
        APP_ID, generate_rsa_keypair()[0], base_url=fake.base_url, max_inline_wait=1.0
    ) as github_app:
        yield github_app


@pytest.fixture
def client(app: GitHubApp) -> InstallationClient:
    return app.for_installation(INSTALLATION)


def test_server_error_is_transient_after_inline_retries(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.fail("GET", PULL, 500, times=3)
    with pytest.raises(GitHubTransientError) as info:
        client.get_pull("octo", "hello", 1)
    assert not isinstance(info.value, GitHubRateLimited)
    assert "500" in str(info.value)
    assert len(fake.requests("GET", PULL)) == 3


def test_one_bad_gateway_is_retried_inline(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.fail("GET", PULL, 502)
    assert client.get_pull("octo", "hello", 1).number == 1
    assert [r.status for r in fake.requests("GET", PULL)] == [502, 200]


def test_post_is_not_retried_inline(fake: FakeGitHub, client: InstallationClient) -> None:
    # A POST that failed with 502 may have been applied: the job decides, not the client.
    fake.fail("POST", "/repos/octo/hello/issues/1/comments", 502)
    with pytest.raises(GitHubTransientError):
        client.create_issue_comment("octo", "hello", 1, "hello")
    assert len(fake.requests("POST", "/repos/octo/hello/issues/1/comments")) == 1


def test_timeout_is_transient(fake: FakeGitHub) -> None:
    fake.fail("GET", PULL, 200, delay=1.0)
    private = generate_rsa_keypair()[0]
    app = GitHubApp(APP_ID, private, base_url=fake.base_url, timeout=0.2, server_retries=0)
    with app, pytest.raises(GitHubTransientError) as info:
        app.for_installation(INSTALLATION).get_pull("octo", "hello", 1)
    assert "timed out" in str(info.value)


def test_primary_rate_limit_raises_without_sleeping(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.rate_limit_primary("GET", PULL, reset_in=3600)
    started = time.monotonic()
    with pytest.raises(GitHubRateLimited) as info:
        client.get_pull("octo", "hello", 1)
    assert time.monotonic() - started < 2
    error = info.value
    assert error.reset_at is not None
    assert abs(error.reset_at - (time.time() + 3600)) < 10
    assert error.retry_after is not None and 3500 < error.retry_after <= 3600
    assert "primary rate limit" in str(error)


def test_primary_rate_limit_resetting_soon_is_waited_out(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.rate_limit_primary("GET", PULL, reset_in=0)
    assert client.get_pull("octo", "hello", 1).number == 1
    assert [r.status for r in fake.requests("GET", PULL)] == [403, 200]


def test_secondary_rate_limit_carries_retry_after(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.rate_limit_secondary("GET", PULL, retry_after=60)
    started = time.monotonic()
    with pytest.raises(GitHubRateLimited) as info:
        client.get_pull("octo", "hello", 1)
    assert time.monotonic() - started < 2
    assert info.value.retry_after == 60
    assert "secondary" in str(info.value)


def test_secondary_rate_limit_as_403(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.rate_limit_secondary(
        "POST", "/repos/octo/hello/pulls/1/reviews", status=403, retry_after=120
    )
    with pytest.raises(GitHubRateLimited) as info:
        client.create_review("octo", "hello", 1, commit_id="x", body="b", comments=[])
    assert info.value.retry_after == 120


def test_short_secondary_limit_is_retried_inline(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.rate_limit_secondary("GET", PULL, retry_after=0)
    assert client.get_pull("octo", "hello", 1).number == 1


def test_plain_403_is_permanent(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.fail("GET", PULL, 403, json={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubError) as info:
        client.get_pull("octo", "hello", 1)
    assert info.value.status == 403
    assert "Resource not accessible by integration" in str(info.value)


def test_rate_limited_token_minting_surfaces_as_rate_limit(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.rate_limit_primary("POST", "/app/installations/*/access_tokens")
    with pytest.raises(GitHubRateLimited):
        client.get_pull("octo", "hello", 1)


def test_no_secret_in_errors_logs_or_reprs(fake: FakeGitHub) -> None:
    private = generate_rsa_keypair()[0]
    texts: list[str] = []
    with capture_logs() as logs:
        with GitHubApp(APP_ID, private, base_url=fake.base_url, max_inline_wait=0) as app:
            client = app.for_installation(INSTALLATION)
            pr = client.get_pull("octo", "hello", 1)
            texts += [repr(app), repr(client), repr(app._tokens)]
            fake.fail("GET", PULL, 500, times=3)
            fake.rate_limit_primary("GET", "/repos/octo/hello", reset_in=999)
            fake.fail("GET", "/repos/octo/hello/issues/1/comments", 401, times=2)
            calls = [
                lambda: client.get_pull("octo", "hello", 1),
                lambda: client.default_branch("octo", "hello"),
                lambda: client.list_issue_comments("octo", "hello", 1),
                lambda: client.create_review(
                    "octo",
                    "hello",
                    1,
                    commit_id=pr.head_sha,
                    body="b",
                    comments=[ReviewCommentDraft("a.py", 9, "off")],
                ),
            ]
            for call in calls:
                with pytest.raises((GitHubError, GitHubTransientError)) as info:
                    call()
                texts += [str(info.value), repr(info.value)]
        wrong = GitHubApp(APP_ID, generate_other_rsa_keypair()[0], base_url=fake.base_url)
        with wrong, pytest.raises(GitHubError) as info:
            wrong.for_installation(INSTALLATION).get_pull("octo", "hello", 1)
        texts += [str(info.value), repr(info.value)]
    texts += [repr(entry) for entry in logs]
    assert any(e.get("status") == 500 for e in logs)  # the log really captured the calls
    secrets = {r.headers["authorization"].split(" ", 1)[1] for r in fake.requests()}
    assert any(s.startswith("ghs_") for s in secrets) and any(s.startswith("ey") for s in secrets)
    key_lines = [line for line in private.splitlines() if "-----" not in line]
    blob = "\n".join(texts)
    for secret in [*secrets, *key_lines]:
        assert secret not in blob
    assert "PRIVATE KEY" not in blob

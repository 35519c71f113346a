"""GitHubApp against the fake GitHub: App JWT, installation tokens, caching, GHE prefix."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from argusai.errors import ConfigError, GitHubError, GitHubTransientError
from argusai.github.app import GitHubApp
from tests.conftest import make_settings
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.keys import generate_other_rsa_keypair, generate_rsa_keypair

APP_ID = 4242
INSTALLATION = 77


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=APP_ID, public_key_pem=generate_rsa_keypair()[1]) as gh:
        gh.add_repo("octo", "hello", installation_id=INSTALLATION)
        gh.add_pull("octo", "hello", 1, files={"a.py": "@@ -1 +1,2 @@\n x\n+y"})
        yield gh


def make_app(fake: FakeGitHub, **options: object) -> GitHubApp:
    return GitHubApp(APP_ID, generate_rsa_keypair()[0], base_url=fake.base_url, **options)  # type: ignore[arg-type]


def test_token_is_minted_once_and_reused(fake: FakeGitHub) -> None:
    with make_app(fake) as app:
        client = app.for_installation(INSTALLATION)
        assert client.get_pull("octo", "hello", 1).number == 1
        assert client.default_branch("octo", "hello") == "main"
    assert fake.tokens_issued() == 1
    mint = fake.requests("POST", "/app/installations/*/access_tokens")
    assert mint[0].headers["authorization"].startswith("Bearer ey")  # an RS256 JWT
    calls = fake.requests("GET", "/repos/*")
    assert all(r.headers["authorization"].startswith("token ghs_") for r in calls)


def test_api_version_header_is_the_setting(fake: FakeGitHub) -> None:
    with make_app(fake, api_version="2026-03-10") as app:
        app.for_installation(INSTALLATION).get_pull("octo", "hello", 1)
    assert {r.headers["x-github-api-version"] for r in fake.requests()} == {"2026-03-10"}


def test_unsupported_api_version_is_a_client_error(fake: FakeGitHub) -> None:
    with make_app(fake, api_version="1999-01-01") as app, pytest.raises(GitHubError) as info:
        app.for_installation(INSTALLATION).get_pull("octo", "hello", 1)
    assert info.value.status == 400


def test_tokens_are_shared_by_threads(fake: FakeGitHub) -> None:
    errors: list[BaseException] = []
    with make_app(fake) as app:
        client = app.for_installation(INSTALLATION)

        def work() -> None:
            try:
                for _ in range(5):
                    assert client.get_pull("octo", "hello", 1).head_sha
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert fake.tokens_issued() == 1
    assert len(fake.requests("GET", "/repos/octo/hello/pulls/1")) == 40


def test_token_close_to_expiry_is_replaced() -> None:
    # 200 s left is inside the 5-minute refresh margin: every call needs a new token.
    public = generate_rsa_keypair()[1]
    with FakeGitHub(app_id=APP_ID, public_key_pem=public, token_ttl=200) as gh:
        gh.add_repo("octo", "hello", installation_id=INSTALLATION)
        with make_app(gh) as app:
            app.for_installation(INSTALLATION).default_branch("octo", "hello")
            app.for_installation(INSTALLATION).default_branch("octo", "hello")
        assert gh.tokens_issued() == 2


def test_revoked_token_is_replaced_once(fake: FakeGitHub) -> None:
    with make_app(fake) as app:
        client = app.for_installation(INSTALLATION)
        client.default_branch("octo", "hello")
        fake.expire_tokens()
        assert client.default_branch("octo", "hello") == "main"
    assert fake.tokens_issued() == 2


def test_wrong_private_key_fails_clearly(fake: FakeGitHub) -> None:
    wrong_private, _ = generate_other_rsa_keypair()
    app = GitHubApp(APP_ID, wrong_private, base_url=fake.base_url)
    with app, pytest.raises(GitHubError) as info:
        app.for_installation(INSTALLATION).get_pull("octo", "hello", 1)
    assert info.value.status == 401
    assert "access_tokens" in str(info.value)
    assert "PRIVATE KEY" not in str(info.value)
    assert fake.tokens_issued() == 0


def test_wrong_app_id_fails_clearly(fake: FakeGitHub) -> None:
    app = GitHubApp(APP_ID + 1, generate_rsa_keypair()[0], base_url=fake.base_url)
    with app, pytest.raises(GitHubError) as info:
        app.installation_for_repo("octo", "hello")
    assert info.value.status == 401


def test_unknown_installation_is_404(fake: FakeGitHub) -> None:
    with make_app(fake) as app, pytest.raises(GitHubError) as info:
        app.for_installation(999).get_pull("octo", "hello", 1)
    assert info.value.status == 404


def test_installation_for_repo(fake: FakeGitHub) -> None:
    with make_app(fake) as app:
        assert app.installation_for_repo("octo", "hello") == INSTALLATION
        with pytest.raises(GitHubError) as info:
            app.installation_for_repo("octo", "missing")
    assert info.value.status == 404


def test_repo_of_another_installation_is_not_visible(fake: FakeGitHub) -> None:
    fake.add_repo("other", "repo", installation_id=INSTALLATION + 1)
    with make_app(fake) as app, pytest.raises(GitHubError) as info:
        app.for_installation(INSTALLATION).default_branch("other", "repo")
    assert info.value.status == 404


def test_enterprise_base_url_with_path_prefix() -> None:
    private, public = generate_rsa_keypair()
    with FakeGitHub(app_id=APP_ID, public_key_pem=public, prefix="/api/v3") as gh:
        gh.add_repo("octo", "hello", installation_id=INSTALLATION)
        gh.set_file("octo", "hello", ".argus.yml", "review: {}\n")
        assert gh.base_url.endswith("/api/v3")
        with GitHubApp(APP_ID, private, base_url=gh.base_url) as app:
            assert app.installation_for_repo("octo", "hello") == INSTALLATION
            client = app.for_installation(INSTALLATION)
            assert client.get_file_text("octo", "hello", ".argus.yml", "main") == "review: {}\n"
        assert gh.tokens_issued() == 1
        assert all(r.status < 400 for r in gh.requests())


def test_from_settings(fake: FakeGitHub, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        github_app_id=APP_ID,
        github_private_key=SecretStr(generate_rsa_keypair()[0]),
        github_api_url=fake.base_url,
    )
    with GitHubApp.from_settings(settings) as app:
        assert app.api_version == "2022-11-28"
        assert app.for_installation(INSTALLATION).default_branch("octo", "hello") == "main"


def test_from_settings_without_credentials(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        GitHubApp.from_settings(make_settings(tmp_path))


def test_unreachable_github_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = GitHubApp(
        APP_ID, generate_rsa_keypair()[0], base_url=f"http://127.0.0.1:{port}", server_retries=0
    )
    with app, pytest.raises(GitHubTransientError):
        app.for_installation(INSTALLATION).get_pull("octo", "hello", 1)


def test_unreadable_private_key_is_a_config_error() -> None:
    garbage = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n"
    with pytest.raises(ConfigError) as info:
        GitHubApp(APP_ID, garbage, base_url="http://127.0.0.1:9")
    assert "c2VjcmV0" not in str(info.value)

"""``argus app create`` against the fake GitHub: the browser's path through the manifest
flow (form → GitHub's page → redirect), the exchange, and the files it leaves."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from argusai.cli import app as cli
from argusai.errors import InputError
from argusai.github.app import GitHubApp
from argusai.github.app_files import Destination
from argusai.github.manifest import PERMISSIONS, GitHubSite, subscribable_events
from argusai.github.manifest_flow import ManifestFlow
from argusai.settings import Settings
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_github_manifest import FakeManifests, fake_manifests
from tests.fakes.keys import generate_rsa_keypair

ROOT = Path(__file__).resolve().parents[2]
EVENTS = [
    "installation",
    "pull_request",
    "issue_comment",
    "pull_request_review_comment",
    "pull_request_review_thread",
    "check_run",
    "workflow_run",
]


@pytest.fixture
def ghes() -> Iterator[FakeGitHub]:
    """A GitHub Enterprise server: the API under /api/v3, its pages at the root."""
    _, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=1, public_key_pem=public_pem, prefix="/api/v3") as fake:
        yield fake


class _Form(HTMLParser):
    """What a browser submits: the form's action and its hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action") or ""
        if tag == "input" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


def submit_form(page_url: str) -> httpx.Response:
    """Open the local page, post its form to "GitHub" as a browser would (no redirects)."""
    with httpx.Client() as browser:
        page = browser.get(page_url)
        assert page.status_code == 200
        assert "form-action" in page.headers["content-security-policy"]
        form = _Form()
        form.feed(page.text)
        return browser.post(form.action, data=form.fields)


def browse(page_url: str) -> httpx.Response:
    """The whole browser round: the form, GitHub's redirect, the local callback page."""
    to_github = submit_form(page_url)
    assert to_github.status_code == 302, to_github.text
    return httpx.get(to_github.headers["location"])


def flow_for(fake: FakeGitHub, env_file: Path, **options: object) -> ManifestFlow:
    apps = fake_manifests(fake)
    return ManifestFlow(
        site=GitHubSite.of(apps.web_url),
        org=options.pop("org", None),  # type: ignore[arg-type]
        name=str(options.pop("name", "ArgusAI")),
        public_url="https://argus.example.com",
        events=EVENTS,
        dest=Destination(env_file),
        **options,  # type: ignore[arg-type]
    )


def test_the_written_env_is_a_working_app_on_github_enterprise(
    ghes: FakeGitHub, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ARGUS_LLM_API_KEY=sk-keep\n")
    lines: list[str] = []
    with flow_for(ghes, env_file, say=lines.append) as flow:
        page_url = flow.start()
        assert page_url.startswith("http://127.0.0.1:")
        done = browse(page_url)
        created = flow.wait(5)
    apps = fake_manifests(ghes)
    app = apps.created[0]
    assert done.status_code == 200
    assert app["html_url"] + "/installations/new" in done.text
    for secret in (app["webhook_secret"], app["client_secret"], "PRIVATE KEY"):
        assert secret not in done.text
    # what GitHub was asked for
    manifest = app["manifest"]
    assert manifest["hook_attributes"]["url"] == "https://argus.example.com/webhooks/github"
    assert manifest["callback_urls"] == ["https://argus.example.com/dashboard/callback"]
    assert manifest["redirect_url"] == f"{flow.local_url}/callback"
    assert manifest["public"] is False
    assert "installation" not in manifest["default_events"]
    assert app["owner"] == {"login": "octocat", "type": "User"}
    # what was written
    assert created.app.app_id == app["id"]
    text = env_file.read_text()
    assert text.startswith("ARGUS_LLM_API_KEY=sk-keep\n")
    key_file = tmp_path / "argus-app.private-key.pem"
    assert key_file.read_text() == app["pem"]
    for path in (env_file, key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.github_app_id == app["id"]
    assert settings.github_webhook_secret is not None
    assert settings.github_webhook_secret.get_secret_value() == app["webhook_secret"]
    assert settings.github_client_id == app["client_id"]
    assert settings.dashboard_oauth()
    assert settings.github_api_url == ghes.base_url  # …/api/v3, derived from the site
    assert settings.github_web_url == apps.web_url
    assert settings.private_key_pem() == app["pem"]
    assert settings.missing_for_webhooks() == []
    # and GitHub takes the App's JWT: the .env works
    with GitHubApp.from_settings(settings, guard=None) as client:
        assert client.app_slug() == "argusai"
    assert not any(app["webhook_secret"] in line or "PRIVATE" in line for line in lines)


def test_an_organisations_app_and_one_it_may_not_have(ghes: FakeGitHub, tmp_path: Path) -> None:
    apps: FakeManifests = fake_manifests(ghes)
    with flow_for(ghes, tmp_path / ".env", org="octo-org") as flow:
        refused = submit_form(flow.start())
        assert refused.status_code == 404  # not an organisation the user may create Apps for
        apps.orgs.add("octo-org")
        assert browse(f"{flow.local_url}/").status_code == 200
        flow.wait(5)
    assert apps.created[0]["owner"] == {"login": "octo-org", "type": "Organization"}
    assert urlsplit(flow.new_app_url).path == "/organizations/octo-org/settings/apps/new"


def test_a_redirect_with_another_state_is_refused_and_the_flow_goes_on(
    ghes: FakeGitHub, tmp_path: Path
) -> None:
    with flow_for(ghes, tmp_path / ".env") as flow:
        to_github = submit_form(flow.start())
        location = to_github.headers["location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        forged = httpx.get(f"{flow.local_url}/callback?code={code}&state=forged")
        assert forged.status_code == 400
        assert not (tmp_path / ".env").exists()
        assert fake_manifests(ghes).conversions == 0
        assert httpx.get(location).status_code == 200
        flow.wait(5)
        again = httpx.get(location)  # a reload after success: the same page, no new exchange
        assert again.status_code == 200
    assert fake_manifests(ghes).conversions == 1


def test_pages_answer_only_to_their_own_address(ghes: FakeGitHub, tmp_path: Path) -> None:
    with flow_for(ghes, tmp_path / ".env") as flow:
        flow.start()
        port = urlsplit(flow.local_url).port
        rebound = httpx.get(f"{flow.local_url}/", headers={"Host": f"evil.example:{port}"})
        assert rebound.status_code == 421
        assert "state=" not in rebound.text
        assert httpx.get(f"http://localhost:{port}/").status_code == 200
        assert httpx.get(f"{flow.local_url}/elsewhere").status_code == 404


def test_existing_credentials_are_kept_unless_forced(ghes: FakeGitHub, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "ARGUS_GITHUB_APP_ID=9\nARGUS_GITHUB_PRIVATE_KEY='old'\nARGUS_GITHUB_APP_SLUG=old\n"
        "ARGUS_LOG_LEVEL=DEBUG\n"
    )
    with pytest.raises(InputError, match=r"ARGUS_GITHUB_APP_ID.*--force"):
        flow_for(ghes, env_file)
    with flow_for(ghes, env_file, force=True) as flow:
        browse(flow.start())
        flow.wait(5)
    text = env_file.read_text()
    assert "ARGUS_GITHUB_PRIVATE_KEY=" not in text  # an inline key would win over the file
    assert "ARGUS_GITHUB_APP_SLUG" not in text and "ARGUS_GITHUB_APP_ID=9" not in text
    assert text.startswith("ARGUS_LOG_LEVEL=DEBUG\n")
    # and now the key file is in the way too
    env_file.write_text("")
    with pytest.raises(InputError, match=r"argus-app\.private-key\.pem"):
        flow_for(ghes, env_file)


def test_credentials_that_appear_while_the_form_is_open_keep_the_code_unspent(
    ghes: FakeGitHub, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    with flow_for(ghes, env_file) as flow:
        location = submit_form(flow.start()).headers["location"]
        env_file.write_text("ARGUS_GITHUB_WEBHOOK_SECRET=someone-elses\n")
        blocked = httpx.get(location)
        assert blocked.status_code == 409
        assert fake_manifests(ghes).conversions == 0
        env_file.write_text("")  # moved away: a reload finishes the job
        assert httpx.get(location).status_code == 200
        flow.wait(5)


def test_a_code_github_no_longer_knows(ghes: FakeGitHub, tmp_path: Path) -> None:
    fake_manifests(ghes).code_ttl = -1  # every code has expired
    lines: list[str] = []
    with flow_for(ghes, tmp_path / ".env", say=lines.append) as flow:
        answer = browse(flow.start())
        assert answer.status_code == 502
        assert "works once, within an hour" in answer.text
        with pytest.raises(InputError, match="no App was created"):
            flow.wait(0.3)
    assert not (tmp_path / ".env").exists()
    assert not (tmp_path / "argus-app.private-key.pem").exists()
    assert any("exchange failed" in line for line in lines)


def test_argus_app_create_end_to_end(ghes: FakeGitHub, tmp_path: Path) -> None:
    """The real command in its own process: it prints the page, then the result, no secret."""
    apps = fake_manifests(ghes)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    command = [
        sys.executable, "-m", "argusai", "app", "create",
        "--url", "https://argus.example.com",
        "--github-url", apps.web_url,
        "--env-file", str(tmp_path / "conf" / ".env"),
        "--timeout", "60",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out_lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            out_lines.append(line)
            if line.startswith("Open http://127.0.0.1:"):
                break
        page_url = out_lines[-1].split()[1]
        errors: list[BaseException] = []

        def drive() -> None:
            try:
                assert browse(page_url).status_code == 200
            except BaseException as exc:  # reported below
                errors.append(exc)

        driver = threading.Thread(target=drive)
        driver.start()
        out, err = proc.communicate(timeout=60)
        driver.join(10)
        assert not errors, errors
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(out_lines) + out + err
    assert proc.returncode == 0, output
    app = apps.created[0]
    assert f"Created the GitHub App 'ArgusAI' (id {app['id']}) for octocat." in output
    assert f"Install it on your repositories: {app['html_url']}/installations/new" in output
    assert "ARGUS_GITHUB_WEBHOOK_SECRET" in output  # the names, never the values
    for secret in (app["webhook_secret"], app["client_secret"], "PRIVATE KEY", "code="):
        assert secret not in output
    assert (tmp_path / "conf" / "argus-app.private-key.pem").exists()


def test_the_command_refuses_before_serving(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ARGUS_GITHUB_APP_ID=3\n")
    result = CliRunner().invoke(
        cli, ["app", "create", "--url", "https://argus.example.com", "--no-browser"]
    )
    assert result.exit_code == 2
    assert "argus: error:" in result.output and "--force" in result.output
    assert "Open http" not in result.output
    bad = CliRunner().invoke(cli, ["app", "create", "--url", "argus.example.com"])
    assert bad.exit_code == 2 and "--url" in bad.output


def test_argus_app_manifest_prints_what_create_sends() -> None:
    result = CliRunner().invoke(cli, ["app", "manifest", "--url", "https://argus.example.com"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    assert manifest["hook_attributes"]["url"] == "https://argus.example.com/webhooks/github"
    assert set(EVENTS) - {"installation"} <= set(manifest["default_events"])
    assert "redirect_url" not in manifest


def test_the_readme_lists_what_the_manifest_asks_for() -> None:
    from argusai.cli import _webhook_events

    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Creating the GitHub App\n", 1)[1].split("\n### By hand\n", 1)[0]
    text = " ".join(section.split())
    for name, (access, _) in PERMISSIONS.items():
        assert f"`{name}`: {access}" in text
    events = subscribable_events(_webhook_events())
    listed = text.split("**Events**", 1)[1].split("(installation", 1)[0]
    assert sorted(re.findall(r"`([a-z_]+)`", listed)) == events

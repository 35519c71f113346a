"""The conversation calls of the GitHub client against the fake: review comments with their
thread links, replies, reactions, a collaborator's permission (cached), the App's slug."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from argusai.github.app import GitHubApp
from argusai.github.client import InstallationClient
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.keys import generate_rsa_keypair

APP_ID = 77
PRIVATE, PUBLIC = generate_rsa_keypair()
PATCH = "@@ -1,1 +1,2 @@\n a\n+b"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=APP_ID, public_key_pem=PUBLIC, app_slug="argus-test") as gh:
        gh.add_repo("octo", "hello", installation_id=5)
        gh.add_pull("octo", "hello", 1, files={"a.py": PATCH})
        yield gh


@pytest.fixture
def app(fake: FakeGitHub) -> Iterator[GitHubApp]:
    github = GitHubApp(APP_ID, PRIVATE, base_url=fake.base_url)
    yield github
    github.close()


@pytest.fixture
def client(app: GitHubApp) -> InstallationClient:
    return app.for_installation(5)


def test_the_app_slug_is_asked_once(fake: FakeGitHub, app: GitHubApp) -> None:
    assert app.app_slug() == app.app_slug() == "argus-test"
    assert len(fake.requests("GET", "/app")) == 1


def test_review_comments_replies_and_threads(fake: FakeGitHub, client: InstallationClient) -> None:
    root = fake.add_review_comment("octo", "hello", 1, path="a.py", line=2, body="root")
    reply_id = client.reply_to_review_comment("octo", "hello", 1, root, "an answer")
    comments = client.list_review_comments("octo", "hello", 1)
    assert [(c.id, c.in_reply_to_id) for c in comments] == [(root, None), (reply_id, root)]
    reply = client.get_review_comment("octo", "hello", reply_id)
    assert reply.author == "argus-test[bot]" and reply.author_is_bot
    assert (reply.path, reply.line, reply.original_line) == ("a.py", 2, 2)
    assert reply.original_commit_id == reply.commit_id != ""
    first = client.get_review_comment("octo", "hello", root)
    assert first.author == "octocat" and not first.author_is_bot


def test_reactions(fake: FakeGitHub, client: InstallationClient) -> None:
    comment = fake.add_issue_comment("octo", "hello", 1, "@argus-test help", author="alice")
    client.add_reaction("octo", "hello", comment, "eyes", review_comment=False)
    client.add_reaction("octo", "hello", comment, "eyes", review_comment=False)  # 200: exists
    fake.add_reaction(comment, "+1", user="bob", review_comment=False)
    reactions = client.list_reactions("octo", "hello", comment, review_comment=False)
    assert [(r.content, r.user, r.user_is_bot) for r in reactions] == [
        ("eyes", "argus-test[bot]", True),
        ("+1", "bob", False),
    ]


def test_permission_is_cached_briefly(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.set_permission("octo", "hello", "alice", "maintain")
    assert client.collaborator_permission("octo", "hello", "alice") == "write"
    assert client.collaborator_permission("octo", "hello", "Alice") == "write"
    assert len(fake.requests("GET", "/repos/octo/hello/collaborators/*/permission")) == 1
    assert client.collaborator_permission("octo", "hello", "stranger") == "read"
    fake.fail("GET", "/repos/octo/hello/collaborators/ghost/permission", 404)
    assert client.collaborator_permission("octo", "hello", "ghost") == "none"

"""InstallationClient against the fake GitHub: every call of the GitHubRepoClient port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from argusai.errors import GitHubError
from argusai.github.app import GitHubApp
from argusai.github.client import InstallationClient
from argusai.github.port import ReviewCommentDraft
from tests.fakes.fake_github import FakeFile, FakeGitHub
from tests.fakes.keys import generate_rsa_keypair

APP_ID = 99
INSTALLATION = 5
PATCH = "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -10,2 +11,3 @@\n j\n+k\n l"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=APP_ID, public_key_pem=generate_rsa_keypair()[1]) as gh:
        gh.add_repo("octo", "hello", default_branch="trunk", installation_id=INSTALLATION)
        yield gh


@pytest.fixture
def client(fake: FakeGitHub) -> Iterator[InstallationClient]:
    with GitHubApp(APP_ID, generate_rsa_keypair()[0], base_url=fake.base_url) as app:
        yield app.for_installation(INSTALLATION)


def test_get_pull(fake: FakeGitHub, client: InstallationClient) -> None:
    pr = fake.add_pull("octo", "hello", 3, title="Fix", body="Details", author="alice", draft=True)
    got = client.get_pull("octo", "hello", 3)
    assert (got.number, got.title, got.body, got.author, got.draft) == (
        3,
        "Fix",
        "Details",
        "alice",
        True,
    )
    assert (got.head_sha, got.base_sha, got.base_ref, got.state) == (
        pr.head_sha,
        pr.base_sha,
        "trunk",
        "open",
    )


def test_missing_pull_is_404(client: InstallationClient) -> None:
    with pytest.raises(GitHubError) as info:
        client.get_pull("octo", "hello", 404)
    assert info.value.status == 404


def test_pull_files_are_paginated(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_pull(
        "octo", "hello", 1, files={f"src/f{i:03}.py": "@@ -0,0 +1 @@\n+x" for i in range(250)}
    )
    files = client.list_pull_files("octo", "hello", 1)
    assert [f.path for f in files] == [f"src/f{i:03}.py" for i in range(250)]
    pages = fake.requests("GET", "/repos/octo/hello/pulls/1/files")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    assert all(r.query["per_page"] == "100" for r in pages)


def test_pull_files_limit(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_pull("octo", "hello", 1, files={f"f{i}": "@@ -0,0 +1 @@\n+x" for i in range(250)})
    assert len(client.list_pull_files("octo", "hello", 1, limit=150)) == 150
    assert len(fake.requests("GET", "/repos/octo/hello/pulls/1/files")) == 2
    assert client.list_pull_files("octo", "hello", 1, limit=0) == []


def test_pull_files_stop_at_githubs_cap(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_pull("octo", "hello", 1, files=[FakeFile(f"f{i}", None) for i in range(3100)])
    assert len(client.list_pull_files("octo", "hello", 1, limit=10_000)) == 3000


def test_changed_file_fields(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_pull(
        "octo",
        "hello",
        1,
        files=[
            FakeFile("logo.png", None, status="added", additions=0),
            FakeFile("new/name.py", PATCH, status="renamed", previous_path="old/name.py"),
        ],
    )
    logo, renamed = client.list_pull_files("octo", "hello", 1)
    assert (logo.path, logo.status, logo.patch) == ("logo.png", "added", None)
    assert renamed.previous_path == "old/name.py"
    assert renamed.patch == PATCH
    assert (renamed.additions, renamed.deletions) == (3, 1)


def test_files_from_a_git_diff(fake: FakeGitHub, client: InstallationClient) -> None:
    diff = (
        "diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n"
        "@@ -1 +1 @@\n-x\n+y\n"
        "diff --git a/img.png b/img.png\nnew file mode 100644\nBinary files differ\n"
    )
    fake.add_pull("octo", "hello", 1, files=diff)
    a, img = client.list_pull_files("octo", "hello", 1)
    assert (a.path, a.patch, a.status) == ("a.py", "@@ -1 +1 @@\n-x\n+y", "modified")
    assert (img.path, img.patch, img.status) == ("img.png", None, "added")


def test_compare(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.set_compare(
        "octo",
        "hello",
        "abc",
        "def",
        status="diverged",
        ahead_by=2,
        behind_by=1,
        files={"a.py": "@@ -1 +1 @@\n-x\n+y"},
    )
    got = client.compare("octo", "hello", "abc", "def")
    assert (got.status, got.ahead_by, got.behind_by) == ("diverged", 2, 1)
    assert [f.path for f in got.files] == ["a.py"]
    with pytest.raises(GitHubError) as info:
        client.compare("octo", "hello", "abc", "unknown")
    assert info.value.status == 404


def test_compare_branch_names_with_slashes(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.set_compare("octo", "hello", "main", "feature/x", status="identical", ahead_by=0)
    assert client.compare("octo", "hello", "main", "feature/x").status == "identical"


def test_default_branch(client: InstallationClient) -> None:
    assert client.default_branch("octo", "hello") == "trunk"


def test_get_file_text(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.set_file("octo", "hello", ".argus.yml", "review:\n  language: français ✓\n")
    fake.set_file("octo", "hello", ".argus.yml", "old: 1\n", ref="v1")
    text = client.get_file_text("octo", "hello", ".argus.yml", "trunk")
    assert text == "review:\n  language: français ✓\n"
    assert client.get_file_text("octo", "hello", ".argus.yml", "v1") == "old: 1\n"
    assert client.get_file_text("octo", "hello", "missing.yml", "trunk") is None
    assert client.get_file_text("octo", "hello", ".argus.yml", "no-such-branch") is None
    assert fake.requests("GET", "/repos/octo/hello/contents/*")[0].query == {"ref": "trunk"}


def test_get_file_text_large_file_falls_back_to_raw(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    fake.set_file("octo", "hello", "big.txt", "large\n")
    # GitHub answers files over 1 MB with "encoding": "none" and no content.
    fake.fail(
        "GET",
        "/repos/octo/hello/contents/big.txt",
        200,
        json={"type": "file", "encoding": "none", "content": "", "size": 2_000_000},
    )
    assert client.get_file_text("octo", "hello", "big.txt", "trunk") == "large\n"
    raw = fake.requests("GET", "/repos/octo/hello/contents/big.txt")[-1]
    assert "raw" in raw.headers["accept"]


def test_issue_comments(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_pull("octo", "hello", 1)
    for i in range(130):
        fake.add_issue_comment("octo", "hello", 1, f"comment {i}", author="bob")
    comment_id = client.create_issue_comment("octo", "hello", 1, "<!-- argus:summary -->\nv1")
    client.update_issue_comment("octo", "hello", comment_id, "<!-- argus:summary -->\nv2")
    comments = client.list_issue_comments("octo", "hello", 1)
    assert len(comments) == 131
    assert comments[0].author == "bob"
    mine = comments[-1]
    assert (mine.id, mine.body, mine.author) == (
        comment_id,
        "<!-- argus:summary -->\nv2",
        "argusai[bot]",
    )
    assert fake.issue_comments("octo", "hello", 1)[-1]["body"].endswith("v2")


def test_get_issue(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_issue("octo", "hello", 12, "Crash on start", body="Steps: run it")
    fake.add_issue("octo", "hello", 13, "A PR", state="closed", is_pull=True)
    got = client.get_issue("octo", "hello", 12)
    assert (got.number, got.title, got.body, got.state, got.is_pull_request) == (
        12,
        "Crash on start",
        "Steps: run it",
        "open",
        False,
    )
    pr = client.get_issue("octo", "hello", 13)
    assert (pr.state, pr.is_pull_request) == ("closed", True)
    with pytest.raises(GitHubError) as info:
        client.get_issue("octo", "hello", 404)
    assert info.value.status == 404


def test_get_tree_and_blobs(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.set_file("octo", "hello", "src/app/util.py", "def f():\n    pass\n", ref="c0ffee")
    fake.set_file("octo", "hello", "logo.png", b"\x89PNG\r\n\x00\x00", ref="c0ffee")
    fake.set_file("octo", "hello", "latin1.txt", "caf\xe9".encode("latin-1"), ref="c0ffee")
    tree = client.get_tree("octo", "hello", "c0ffee")
    blobs = {e.path: e for e in tree.entries if e.type == "blob"}
    assert sorted(blobs) == ["latin1.txt", "logo.png", "src/app/util.py"]
    assert {e.path for e in tree.entries if e.type == "tree"} == {"src", "src/app"}
    util = blobs["src/app/util.py"]
    assert (util.mode, util.size, tree.truncated) == ("100644", 18, False)
    assert client.get_blob_text("octo", "hello", util.sha) == "def f():\n    pass\n"
    assert client.get_blob_text("octo", "hello", blobs["logo.png"].sha) is None  # binary
    assert client.get_blob_text("octo", "hello", blobs["latin1.txt"].sha) is None  # not UTF-8
    assert client.get_tree("octo", "hello", tree.sha) == tree  # a tree id is a ref too
    assert fake.requests("GET", "/repos/octo/hello/git/trees/c0ffee")[0].query == {"recursive": "1"}
    src = next(e for e in tree.entries if e.path == "src")
    folder = client.get_tree("octo", "hello", src.sha, recursive=False)  # a folder's own entries
    assert [(e.path, e.type) for e in folder.entries] == [("app", "tree")]
    assert fake.requests("GET", f"/repos/octo/hello/git/trees/{src.sha}")[0].query == {}
    fake.set_tree_limit("octo", "hello", 2)
    assert client.get_tree("octo", "hello", "c0ffee").truncated
    with pytest.raises(GitHubError) as info:
        client.get_blob_text("octo", "hello", "0" * 40)
    assert info.value.status == 404


def test_update_missing_comment_is_404(client: InstallationClient) -> None:
    with pytest.raises(GitHubError) as info:
        client.update_issue_comment("octo", "hello", 123456, "x")
    assert info.value.status == 404


def test_create_review_with_inline_and_range_comments(
    fake: FakeGitHub, client: InstallationClient
) -> None:
    pr = fake.add_pull("octo", "hello", 1, files={"a.py": PATCH})
    review_id = client.create_review(
        "octo",
        "hello",
        1,
        commit_id=pr.head_sha,
        body="Summary",
        comments=[
            ReviewCommentDraft("a.py", 3, "on C <!-- argus:fp:1 -->"),
            ReviewCommentDraft("a.py", 13, "k..l", start_line=11),
        ],
    )
    (review,) = fake.reviews("octo", "hello", 1)
    assert review["id"] == review_id
    assert (review["state"], review["body"], review["commit_id"]) == (
        "COMMENTED",
        "Summary",
        pr.head_sha,
    )
    first, second = review["comments"]
    assert (first["path"], first["line"], first["side"], first["start_line"]) == (
        "a.py",
        3,
        "RIGHT",
        None,
    )
    assert (second["start_line"], second["start_side"], second["line"]) == (11, "RIGHT", 13)
    sent = fake.requests("POST", "/repos/octo/hello/pulls/1/reviews")[0].json
    assert sent["event"] == "COMMENT"
    bodies = client.list_review_comment_bodies("octo", "hello", 1)
    assert bodies == ["on C <!-- argus:fp:1 -->", "k..l"]


@pytest.mark.parametrize(
    "draft",
    [
        ReviewCommentDraft("a.py", 5, "beyond the first hunk"),
        ReviewCommentDraft("a.py", 12, "range across hunks", start_line=3),
        ReviewCommentDraft("b.py", 1, "file not in the PR"),
    ],
)
def test_comment_off_the_diff_is_422(
    fake: FakeGitHub, client: InstallationClient, draft: ReviewCommentDraft
) -> None:
    pr = fake.add_pull("octo", "hello", 1, files={"a.py": PATCH})
    with pytest.raises(GitHubError) as info:
        client.create_review(
            "octo",
            "hello",
            1,
            commit_id=pr.head_sha,
            body="x",
            comments=[ReviewCommentDraft("a.py", 2, "fine"), draft],
        )
    assert info.value.status == 422
    assert "could not be resolved" in str(info.value) or "hunk" in str(info.value)
    assert fake.reviews("octo", "hello", 1) == []
    assert fake.review_comments("octo", "hello", 1) == []


def test_review_on_stale_head_is_422(fake: FakeGitHub, client: InstallationClient) -> None:
    pr = fake.add_pull("octo", "hello", 1, files={"a.py": PATCH})
    old_head = pr.head_sha
    fake.update_pull("octo", "hello", 1, head_sha="f" * 40)
    with pytest.raises(GitHubError) as info:
        client.create_review("octo", "hello", 1, commit_id=old_head, body="x", comments=[])
    assert info.value.status == 422


def test_review_comment_bodies_are_paginated(fake: FakeGitHub, client: InstallationClient) -> None:
    fake.add_pull("octo", "hello", 1, files={"a.py": PATCH})
    for i in range(120):
        fake.add_review_comment("octo", "hello", 1, path="a.py", line=3, body=f"c{i}")
    assert len(client.list_review_comment_bodies("octo", "hello", 1)) == 120

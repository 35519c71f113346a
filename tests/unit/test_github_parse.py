"""Lenient parsing of GitHub JSON into the port's dataclasses."""

from __future__ import annotations

import pytest

from argusai.errors import GitHubError
from argusai.github import parse


def test_pull_request_with_nulls_and_missing_fields() -> None:
    pr = parse.pull_request(
        {
            "number": 5,
            "title": "T",
            "body": None,
            "user": None,
            "state": "open",
            "head": {"sha": "h"},
            "base": {"sha": "b", "ref": "main"},
        }
    )
    assert (pr.body, pr.author, pr.draft, pr.base_ref) == ("", "ghost", False, "main")


def test_pull_request_not_an_object() -> None:
    with pytest.raises(GitHubError):
        parse.pull_request(["not", "a", "pr"])


def test_changed_file_without_patch() -> None:
    f = parse.changed_file({"filename": "a.bin", "status": "added", "additions": 0})
    assert (f.path, f.status, f.patch, f.previous_path) == ("a.bin", "added", None, None)


def test_comparison() -> None:
    c = parse.comparison({"status": "behind", "ahead_by": 0, "behind_by": 3, "files": None})
    assert (c.status, c.behind_by, c.files) == ("behind", 3, [])


def test_issue_comment() -> None:
    c = parse.issue_comment({"id": 9, "body": "x", "user": {"login": "argusai[bot]"}})
    assert (c.id, c.body, c.author) == (9, "x", "argusai[bot]")


def test_tree_skips_malformed_entries() -> None:
    t = parse.tree(
        {
            "sha": "t1",
            "truncated": True,
            "tree": [
                {"path": "a.py", "mode": "100644", "type": "blob", "sha": "s1", "size": 3},
                {"path": 1, "type": "blob", "sha": "s2"},
                "not an entry",
                {"path": "lib", "mode": "040000", "type": "tree", "sha": "s3", "size": True},
            ],
        }
    )
    assert (t.sha, t.truncated) == ("t1", True)
    assert [(e.path, e.type, e.size) for e in t.entries] == [
        ("a.py", "blob", 3),
        ("lib", "tree", None),
    ]


def test_tree_without_a_list_is_an_error() -> None:
    with pytest.raises(GitHubError):
        parse.tree({"sha": "t1", "tree": None})

"""Source parsing on the real awesome-for-beginners data and small own fixtures."""

from __future__ import annotations

import json

import pytest

from argusai.scout.sources.awesome import parse_awesome_data
from argusai.scout.sources.base import NotARepository, github_repo
from argusai.scout.sources.labels import canonical_label, choose_label
from argusai.scout.sources.markdown import parse_markdown_list
from tests.conftest import shared_path


@pytest.mark.shared
def test_real_awesome_data_all_229_entries_accounted_for() -> None:
    text = shared_path("data", "awesome-for-beginners", "data.json").read_text()
    result = parse_awesome_data(text)
    assert len(result.repos) == 222
    assert len(result.repos) + len(result.skipped) == 229
    reasons = sorted(s.reason for s in result.skipped)
    assert reasons.count("not on GitHub (gitlab.com)") == 4
    assert all(r.startswith("not on GitHub") for r in reasons)
    assert len({r.full_name.lower() for r in result.repos}) == 222
    by_name = {r.full_name: r for r in result.repos}
    assert by_name["ppy/osu"].label == "good first issue"
    # missing labels follow the default, and say so
    # the 4 entries without a label are all off GitHub
    assert not any("no label" in n.reason for n in result.notes)
    assert all(r.label for r in result.repos)


@pytest.mark.shared
def test_real_awesome_labels_are_normalised() -> None:
    text = shared_path("data", "awesome-for-beginners", "data.json").read_text()
    canon = {r.canonical_label for r in parse_awesome_data(text).repos}
    assert "good first issue" in canon
    assert not any(c != c.lower() or "-" in c or ":" in c for c in canon)
    raw = {r.label for r in parse_awesome_data(text).repos}
    assert "See Description" not in raw  # not a label: the default is followed
    assert "Good First Issue" in raw  # the first of "Good First Issue, Difficulty/1:Easy"


def test_awesome_skips_malformed_duplicates_and_missing_links() -> None:
    data = {
        "repositories": [
            {"name": "a", "link": "https://github.com/o/a", "label": "Good-first-issue"},
            {"name": "a again", "link": "https://github.com/O/A/", "label": "easy"},
            {"name": "b", "link": "https://gitlab.com/o/b"},
            {"name": "c", "link": "github.com/o/c"},
            {"name": "d", "link": "https://github.com/o/d/issues"},
            {"name": "e"},
        ]
    }
    result = parse_awesome_data(json.dumps(data))
    assert [r.full_name for r in result.repos] == ["o/a"]
    assert result.repos[0].canonical_label == "good first issue"
    assert [s.reason for s in result.skipped] == [
        "duplicate of O/A",
        "not on GitHub (gitlab.com)",
        "malformed URL",
        "not a repository link",
        "no link",
    ]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Good-first-issue", "good first issue"),
        ("👶 Good first issue", "good first issue"),
        ("good first issue-:wave:", "good first issue"),
        ("GoodFirstIssue", "good first issue"),
        ("Type:-Jump-In", "type jump in"),
        ("help-wanted", "help wanted"),
    ],
)
def test_canonical_label(raw: str, canonical: str) -> None:
    assert canonical_label(raw) == canonical


def test_choose_label_default_and_several() -> None:
    assert choose_label(None).query == "good first issue"
    assert choose_label("See Description").query == "good first issue"
    assert choose_label("Good First Issue, Difficulty/1:Easy").query == "Good First Issue"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/sponsors/x",
        "https://github.com/MixeroTN",
        "ftp://github.com/a/b",
        "https://github.com/a/b/blob/x",
    ],
)
def test_github_repo_rejects(url: str) -> None:
    with pytest.raises(NotARepository):
        github_repo(url)


def test_markdown_list() -> None:
    text = """# Awesome
[![badge](https://img.shields.io/x.svg)](https://github.com/o/list/actions)
- [One](https://github.com/o/one) - thing
- [One again](https://github.com/o/one#readme)
- [Two](https://github.com/o/two.git) <br> more
- [Off](https://example.com/x)
- [Sponsor](https://github.com/sponsors/o)
See also https://github.com/o/three.
"""
    result = parse_markdown_list(text, "help wanted")
    assert [r.full_name for r in result.repos] == ["o/one", "o/two", "o/three"]
    assert {r.label for r in result.repos} == {"help wanted"}
    assert sorted(s.reason for s in result.skipped) == [
        "duplicate of o/one",
        "not a repository link",
    ]


@pytest.mark.shared
def test_real_awesome_readme_as_markdown_list() -> None:
    text = shared_path("data", "awesome-for-beginners", "README.md").read_text()
    result = parse_markdown_list(text)
    assert len(result.repos) >= 222

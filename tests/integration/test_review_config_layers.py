"""Configuration in layers, end to end: the operator's settings (``argus config set`` on the
server's database, no restart), the organisation's ``.github`` ``.argus.yml``, the
repository's ``.argus.yml``, key by key; the seeds' key names and brace globs; unknown keys
named in the summary; prompt templates of the repository or the organisation, checked,
sandboxed, and part of the review cache key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from argusai.review.format import SUMMARY_MARKER
from argusai.review.prompt import PROMPT_VERSION
from argusai.store.models import Review
from tests.fakes.fake_llm import system_prompt, user_prompt
from tests.support import FakeWorld
from tests.support.answers import llm_finding

OWNER, NAME, NUMBER = "octo", "shop", 11
HEAD = "c" * 40
BASE = "b" * 40
# new-file lines: 1 import os, 2 a, 3 b, 4 c, 5 d, 6 x
PATCH = "@@ -1,2 +1,6 @@\n import os\n+a = 1\n+b = 2\n+c = 3\n+d = 4\n x = 1"


def opened(number: int = NUMBER, head: str = HEAD) -> dict[str, Any]:
    return {
        "action": "opened",
        "number": number,
        "pull_request": {"number": number, "head": {"sha": head}, "state": "open"},
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }


def finding(line: int, severity: str, path: str = "app.py") -> dict[str, Any]:
    return llm_finding(
        line,
        f"Problem on line {line}",
        severity,
        path=path,
        category="bug",
        message="Explain and fix.",
    )


@pytest.fixture
def world(make_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch) -> FakeWorld:
    # the settings go through ARGUS_* variables: the CLI below opens the same database
    world = make_world(env=monkeypatch, job_max_retries=0, llm_verify=False)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_repo(OWNER, ".github", installation_id=1)
    world.llm.responder = lambda _r: {"summary": "s", "findings": []}
    return world


def argus(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def review(world: FakeWorld, number: int = NUMBER, head: str = HEAD, **files: str) -> str:
    """Open PR ``number`` with ``files`` (default app.py: PATCH), review it, its summary."""
    world.gh.add_pull(
        OWNER, NAME, number, files=files or {"app.py": PATCH}, head_sha=head, base_sha=BASE
    )
    world.deliver("pull_request", opened(number, head))
    world.run_worker()
    comments = world.gh.issue_comments(OWNER, NAME, number)
    (summary,) = [c["body"] for c in comments if SUMMARY_MARKER in c["body"]]
    return summary


def prompts(world: FakeWorld) -> list[str]:
    return [user_prompt(r.json) for r in world.llm.review_requests]


def test_each_layer_overrides_the_one_below_key_by_key(world: FakeWorld) -> None:
    argus("config", "set", "severity_threshold", "high", "--global")
    argus("config", "set", "language", "Deutsch", "--installation", "1")
    argus("config", "set", "max_comments", "5", "--repo", f"{OWNER}/{NAME}")
    world.gh.set_file(OWNER, ".github", ".argus.yml", "language: Português\nmax_comments: 3\n")
    world.gh.set_file(OWNER, NAME, ".argus.yml", "max_comments: 1\n")
    world.llm.responder = lambda _r: {
        "summary": "s",
        "findings": [finding(2, "high"), finding(3, "high"), finding(4, "medium")],
    }
    summary = review(world)
    (request,) = world.llm.review_requests
    assert "Português" in system_prompt(request.json)  # org over the installation's Deutsch
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1  # the repository's 1
    assert "over the limit of 1 inline comments" in summary
    assert "medium" not in summary.split("**Findings:**")[1].split("\n")[0]  # operator's floor
    assert "⚠️" not in summary


def test_an_operator_change_counts_from_the_next_review_without_a_restart(
    world: FakeWorld,
) -> None:
    world.llm.responder = lambda _r: {"summary": "s", "findings": [finding(2, "high")]}
    review(world)
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1
    out = argus("config", "set", "severity_threshold", "critical", "--repo", f"{OWNER}/{NAME}")
    assert "operator (repository octo/shop)" in out
    summary = review(world, number=12)  # same head and base: the config is in the cache key
    assert len(world.llm.review_requests) == 2
    assert world.gh.review_comments(OWNER, NAME, 12) == []
    assert "no findings" in summary


def test_a_seed_style_file_with_brace_globs_reviews_the_right_files(world: FakeWorld) -> None:
    world.gh.set_file(
        OWNER,
        NAME,
        ".argus.yml",
        "maxFilesPerPR: 50\n"
        "maxLinesPerFile: 6\n"
        "filePatterns: ['**/*.{js,ts,py,go,java}']\n"
        "ignorePatterns: ['**/node_modules/**', '**/vendor/**']\n",
    )
    small = "@@ -1 +1,2 @@\n x\n+y = 1"
    big = "@@ -1 +1,9 @@\n x\n" + "".join(f"+line{n}\n" for n in range(8))
    summary = review(
        world,
        **{
            "src/app.ts": small,
            "lib/util.py": small,
            "README.md": small,
            "web/node_modules/left/index.js": small,
            "styles/site.css": small,
            "cmd/big.go": big,
        },
    )
    text = "\n".join(prompts(world))
    assert "### File: src/app.ts" in text and "### File: lib/util.py" in text
    for path in ("README.md", "site.css", "node_modules", "big.go"):
        assert f"File: {path}" not in text and path not in text.split("<untrusted_diff>")[-1]
    assert "`README.md` — not matched by `include`" in summary
    assert "`styles/site.css` — not matched by `include`" in summary
    assert "`web/node_modules/left/index.js` — excluded by `exclude`" in summary
    assert "`cmd/big.go` — 8 changed lines, over `max_lines_per_file` (6)" in summary


def test_max_files_per_pr_limits_the_reviewed_files(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "maxFilesPerPR: 1\n")
    small = "@@ -1 +1,2 @@\n x\n+y = 1"
    summary = review(world, **{"a.py": small, "b.py": small})
    assert "over the limit of 1 files per review" in summary


def test_unknown_keys_are_named_in_the_summary_and_the_rest_kept(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, ".github", ".argus.yml", "colur: blue\n")
    world.gh.set_file(OWNER, NAME, ".argus.yml", "colour: red\nmax_comments: 0\n")
    world.llm.responder = lambda _r: {"summary": "s", "findings": [finding(2, "high")]}
    summary = review(world)
    assert world.gh.review_comments(OWNER, NAME, NUMBER) == []  # max_comments: 0 kept
    assert ".argus.yml: unknown key `colour` (ignored)" in summary
    assert "organisation (octo/.github .argus.yml): unknown key `colur` (ignored)" in summary


CUSTOM = "CUSTOM FRAMING for {{ repo }}#{{ number }}.\n{{ instructions }}\n{{ diff }}\n"


def test_a_repository_template_frames_the_user_prompt(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus/prompts/review.j2", CUSTOM)
    world.gh.set_file(OWNER, NAME, ".argus.yml", "instructions: Check the loops.\n")
    summary = review(world)
    (request,) = world.llm.review_requests
    user = user_prompt(request.json)
    assert user.startswith("CUSTOM FRAMING for octo/shop#11.\nCheck the loops.")
    assert "<untrusted_diff>" in user and "+a = 1" in user
    assert "Review this part of pull request" not in user
    assert "Safety rules" in system_prompt(request.json)  # the system prompt stays ours
    assert "⚠️" not in summary
    # the footer and the review row name the template's version
    sha = hashlib.sha256(CUSTOM.encode()).hexdigest()[:8]
    assert f"prompt {PROMPT_VERSION}+tpl-{sha}" in summary
    (row,) = world.rows(Review)
    assert row.prompt_version == f"{PROMPT_VERSION}+tpl-{sha}"


def test_the_organisation_template_named_by_review_prompt_template(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, ".github", ".argus/prompts/team-v2.j2", "TEAM V2\n{{ diff }}")
    world.gh.set_file(OWNER, NAME, ".argus.yml", "reviewPromptTemplate: team-v2\n")
    review(world)
    assert prompts(world)[0].startswith("TEAM V2")


def test_a_named_template_found_nowhere_is_reported(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "prompt_template: missing\n")
    summary = review(world)
    assert "`.argus/prompts/missing.j2` not found in octo/shop and octo/.github" in summary
    assert "Review this part of pull request" in prompts(world)[0]


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("Please review {{ repo }} carefully.", "must include the whole diff"),
        ("{{ ''.__class__.__mro__ }}{{ diff }}", "refused by the sandbox"),
        ("{{ diff.__class__.__mro__[1].__subclasses__() }}{{ diff }}", "a call is not allowed"),
        ("{% for a in diff %}{% for b in diff %}{% endfor %}{% endfor %}{{ diff }}", "loop"),
        ("{{ diff ", "syntax error"),
    ],
)
def test_a_broken_template_is_reported_and_the_default_used(
    world: FakeWorld, template: str, reason: str
) -> None:
    world.gh.set_file(OWNER, NAME, ".argus/prompts/review.j2", template)
    summary = review(world)
    assert "prompt template `octo/shop:.argus/prompts/review.j2`" in summary
    assert reason in summary and "the default prompt used" in summary
    (user,) = prompts(world)
    assert "Review this part of pull request" in user and "+a = 1" in user


def test_changing_the_template_changes_the_cache_key(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus/prompts/review.j2", CUSTOM)
    review(world, number=11)
    review(world, number=12)  # same head, base, config, template: the cached review
    assert len(world.llm.review_requests) == 1
    world.gh.set_file(OWNER, NAME, ".argus/prompts/review.j2", "Edited.\n" + CUSTOM)
    review(world, number=13)
    assert len(world.llm.review_requests) == 2
    assert prompts(world)[1].startswith("Edited.")


def test_an_unreadable_organisation_file_is_reported_and_the_review_goes_on(
    world: FakeWorld,
) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "max_comments: 0\n")
    world.gh.fail("GET", f"/repos/{OWNER}/.github/contents/.argus.yml", 403)
    summary = review(world)
    assert "organisation (octo/.github .argus.yml): could not be read" in summary
    assert len(world.llm.review_requests) == 1

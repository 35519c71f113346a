"""``argus review`` quotes code from the local checkout: what the LLM is sent, what is said.

A small git repository is built in ``tmp_path``: ``lib/pricing.py`` defines a function that
a changed line of ``app/shop.py`` calls. The fake LLM on loopback records every prompt.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from tests.fakes.fake_llm import FakeLLMServer, user_prompt

PRICING = '''def compute_total(items):
    """Sum the prices of the committed version."""
    return sum(i.price for i in items)
'''
SHOP_BEFORE = "from lib.pricing import compute_total\n\n\ndef checkout(cart):\n    return 0\n"
SHOP_AFTER = (
    "from lib.pricing import compute_total\n\n\ndef checkout(cart):\n"
    "    total = compute_total(cart.items)\n    return total\n"
)
DEFINITION = "def compute_total(items):"


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        fake.responder = lambda _req: {"summary": "s", "findings": []}
        monkeypatch.setenv("ARGUS_LLM_PROVIDER", "openai-compatible")
        monkeypatch.setenv("ARGUS_LLM_BASE_URL", fake.openai_base_url)
        monkeypatch.setenv("ARGUS_LLM_API_KEY", "sk-cli-test")
        monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
        yield fake


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@e.st", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _write(repo: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``main`` with the function and its caller, ``feature`` (checked out) calling it."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _write(root, {"lib/pricing.py": PRICING, "app/shop.py": SHOP_BEFORE, "README.md": "# shop\n"})
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "one")
    _git(root, "checkout", "-q", "-b", "feature")
    _write(root, {"app/shop.py": SHOP_AFTER})
    _git(root, "commit", "-q", "-am", "call compute_total")
    return root


def _review(*args: str) -> Any:
    return CliRunner().invoke(app, ["review", *args])


def _prompts(llm: FakeLLMServer) -> list[str]:
    return [user_prompt(r.json) for r in llm.requests if r.api == "openai"]


def test_base_quotes_a_definition_from_another_folder_of_the_checkout(
    llm: FakeLLMServer, repo: Path
) -> None:
    result = _review("--base", "main", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    diff, _, context = prompt.partition("<untrusted_code_context>")
    assert "+    total = compute_total(cart.items)" in diff
    assert DEFINITION in context and "Sum the prices of the committed version." in context
    assert "Enclosing function `checkout`" in context
    lines = result.stdout.splitlines()
    assert "code context: 2 block(s) from 2 file(s), 0 left out for the token budget" in lines
    assert "  used: definition lib/pricing.py:1 compute_total" in lines
    head = _git(repo, "rev-parse", "--short=12", "HEAD").strip()
    assert f"  note: code context from the checkout at HEAD ({head}): 2 code file(s) indexed" in (
        lines
    )


def test_base_quotes_the_committed_head_not_uncommitted_edits(
    llm: FakeLLMServer, repo: Path
) -> None:
    # the diff is main...HEAD: its line numbers are HEAD's, so the context must be HEAD's too
    _write(repo, {"lib/pricing.py": PRICING.replace("committed", "UNCOMMITTED")})
    result = _review("--base", "main", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    assert "Sum the prices of the committed version." in prompt
    assert "UNCOMMITTED" not in prompt


def test_no_context_leaves_the_prompt_hunk_only(llm: FakeLLMServer, repo: Path) -> None:
    result = _review("--base", "main", "--repo", str(repo), "--no-context")
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    assert "+    total = compute_total(cart.items)" in prompt
    assert DEFINITION not in prompt and "untrusted_code_context" not in prompt
    assert "code context: off (the prompts show the hunks only)" in result.stdout.splitlines()


def test_json_output_says_what_context_was_used(llm: FakeLLMServer, repo: Path) -> None:
    result = _review("--base", "main", "--repo", str(repo), "--format", "json")
    assert result.exit_code == 0, result.output
    context = json.loads(result.stdout)["context"]
    assert context["enabled"] is True
    assert context["used"] == [
        "scope app/shop.py:4 checkout",
        "definition lib/pricing.py:1 compute_total",
    ]
    assert context["left_out"] == []
    assert context["notes"][0].startswith("code context from the checkout at HEAD")


@pytest.mark.parametrize("how", ["--base", "--diff"])
def test_a_directory_that_is_not_a_git_checkout_is_one_line(
    llm: FakeLLMServer, tmp_path: Path, how: str
) -> None:
    plain = tmp_path / "plain"
    _write(plain, {"app/shop.py": SHOP_AFTER})
    diff = tmp_path / "change.diff"
    diff.write_text(
        "diff --git a/app/shop.py b/app/shop.py\n--- a/app/shop.py\n+++ b/app/shop.py\n"
        "@@ -4,2 +4,3 @@\n def checkout(cart):\n+    total = compute_total(cart.items)\n"
        "     return total\n"
    )
    source = ("--base", "main") if how == "--base" else ("--diff", str(diff))
    result = _review(*source, "--repo", str(plain))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"argus: error: {plain} is not inside a git checkout")
    assert result.stderr.count("\n") == 1
    assert llm.request_count == 0


def test_diff_file_with_repo_quotes_its_working_tree(
    llm: FakeLLMServer, repo: Path, tmp_path: Path
) -> None:
    # uncommitted work, as `git diff > change.diff` gives it: the working tree is its head
    _write(repo, {"lib/pricing.py": PRICING.replace("committed", "working-tree")})
    _write(repo, {"app/shop.py": SHOP_AFTER.replace("total\n", "compute_total([])\n")})
    (tmp_path / "change.diff").write_text(_git(repo, "diff", "--", "app/shop.py"))
    result = _review("--diff", str(tmp_path / "change.diff"), "--repo-dir", str(repo))
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    assert "Sum the prices of the working-tree version." in prompt
    assert f"  note: code context from the working tree of {repo}: 2 code file(s) indexed" in (
        result.stdout.splitlines()
    )


def test_diff_file_without_repo_is_hunk_only(
    llm: FakeLLMServer, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # even from inside the checkout: which tree a diff file belongs to is only said by --repo
    monkeypatch.chdir(repo)
    (tmp_path / "change.diff").write_text(_git(repo, "diff", "main...HEAD"))
    result = _review("--diff", str(tmp_path / "change.diff"))
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    assert "+    total = compute_total(cart.items)" in prompt
    assert DEFINITION not in prompt
    assert "code context: off (the prompts show the hunks only)" in result.stdout.splitlines()


def test_a_symbolic_link_is_never_followed(llm: FakeLLMServer, repo: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.py").write_text("def compute_secret():\n    return 'SECRET-42'\n")
    (repo / "lib" / "secret.py").symlink_to(tmp_path / "outside.py")
    _write(repo, {"app/shop.py": SHOP_AFTER + "\n\ndef leak():\n    return compute_secret()\n"})
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "leak")
    (tmp_path / "change.diff").write_text(_git(repo, "diff", "main...HEAD"))
    for args in (
        ("--base", "main", "--repo", str(repo)),
        ("--diff", str(tmp_path / "change.diff"), "--repo", str(repo)),
    ):
        llm.reset()
        result = _review(*args)
        assert result.exit_code == 0, result.output
        (prompt,) = _prompts(llm)
        assert "+    return compute_secret()" in prompt
        assert "SECRET-42" not in prompt


def test_the_index_cap_keeps_the_changed_files_and_says_so(
    llm: FakeLLMServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argusai.review.local_context as local_context

    monkeypatch.setattr(local_context, "MAX_FILES", 1)
    _git(repo, "checkout", "-q", "main")  # files the diff does not touch
    _write(repo, {f"z/mod{i}.py": f"def f{i}():\n    return {i}\n" for i in range(3)})
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "more files")
    _git(repo, "checkout", "-q", "feature")
    _git(repo, "merge", "-q", "--no-edit", "main")
    result = _review("--base", "main", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    assert "Enclosing function `checkout`" in prompt  # the changed file is always indexed
    assert DEFINITION not in prompt  # lib/pricing.py was over the cap
    assert "  note: repository index limited to 1 code files; 4 more not indexed" in (
        result.stdout.splitlines()
    )


def test_a_changed_file_over_the_size_cap_gives_its_scopes_only(
    llm: FakeLLMServer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argusai.review.local_context as local_context

    monkeypatch.setattr(local_context, "MAX_FILE_CHARS", 60)  # both .py files are larger
    result = _review("--base", "main", "--repo", str(repo))
    assert result.exit_code == 0, result.output
    (prompt,) = _prompts(llm)
    assert "Enclosing function `checkout`" in prompt
    assert DEFINITION not in prompt
    lines = result.stdout.splitlines()
    assert "  note: app/shop.py: over 60 characters; enclosing scopes only" in lines
    assert "  note: 1 code file(s) over 60 characters not indexed" in lines

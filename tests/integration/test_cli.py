"""The ``argus`` command as a user runs it (Typer runner in-process; env vars as settings)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from argusai.review import items as workitems
from argusai.review.items import ReviewRequest
from argusai.store.db import Database
from tests.fakes.fake_llm import FakeLLMServer

DIFF = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,3 +1,4 @@
 import sys
+value = eval(sys.argv[1])
 print("hi")
 done = True
"""


def _answer(severity: str) -> dict[str, Any]:
    return {
        "summary": "eval on argv",
        "findings": [
            {
                "path": "calc.py",
                "line": 2,
                "start_line": None,
                "severity": severity,
                "category": "security",
                "title": "eval of user input",
                "message": "Use ast.literal_eval.",
                "suggestion": "value = ast.literal_eval(sys.argv[1])",
            }
        ],
    }


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    with FakeLLMServer() as fake:
        monkeypatch.setenv("ARGUS_LLM_PROVIDER", "openai-compatible")
        monkeypatch.setenv("ARGUS_LLM_BASE_URL", fake.openai_base_url)
        monkeypatch.setenv("ARGUS_LLM_API_KEY", "sk-cli-test")
        monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("ARGUS_LOG_FORMAT", "json")
        yield fake


def test_review_diff_file_prints_findings_and_fails_on_threshold(
    llm_env: Any, tmp_path: Path
) -> None:
    llm_env.responder = lambda _req: _answer("high")
    (tmp_path / "change.diff").write_text(DIFF)
    result = CliRunner().invoke(
        app, ["review", "--diff", str(tmp_path / "change.diff"), "--fail-on", "high"]
    )
    assert result.exit_code == 1, result.output
    assert "calc.py:2" in result.output and "eval of user input" in result.output

    ok = CliRunner().invoke(
        app, ["review", "--diff", str(tmp_path / "change.diff"), "--fail-on", "critical"]
    )
    assert ok.exit_code == 0


def test_review_json_output(llm_env: Any, tmp_path: Path) -> None:
    llm_env.responder = lambda _req: _answer("medium")
    (tmp_path / "change.diff").write_text(DIFF)
    result = CliRunner().invoke(
        app, ["review", "--diff", str(tmp_path / "change.diff"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(f["path"], f["line"], f["severity"]) for f in data["findings"]] == [
        ("calc.py", 2, "medium")
    ]


def test_review_base_in_a_git_checkout(llm_env: Any, tmp_path: Path) -> None:
    llm_env.responder = lambda _req: _answer("low")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.email=t@e.st", "-c", "user.name=t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    (repo / "calc.py").write_text('import sys\nprint("hi")\ndone = True\n')
    git("add", ".")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "feature")
    (repo / "calc.py").write_text(
        'import sys\nvalue = eval(sys.argv[1])\nprint("hi")\ndone = True\n'
    )
    git("commit", "-qam", "change")
    result = CliRunner().invoke(
        app, ["review", "--base", "main", "--repo", str(repo), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"][0]["line"] == 2
    assert "calc.py" in json.dumps(llm_env.requests[0].json)


def test_review_outside_git_is_a_clear_error(llm_env: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["review", "--base", "main", "--repo", str(tmp_path)])
    assert result.exit_code == 2
    assert "not inside a git checkout" in result.output
    assert "Traceback" not in result.output


def test_invalid_setting_stops_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_LLM_PROVIDER", "skynet")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "ARGUS_LLM_PROVIDER" in result.output


def _dead(db: Database, review_id: int, reason: str) -> None:
    """The review fails for good: a dead letter, as a worker leaves it."""
    from argusai.review.items import REVIEWS
    from argusai.workq import items

    assert items.claim(db, REVIEWS, review_id, 60, "w") is not None
    items.retry_later(db, REVIEWS, "review", review_id, "w", error=reason, max_retries=0, delay=0)


def test_jobs_dead_and_retry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'argus.db'}")
    review_id = workitems.enqueue_review(db, ReviewRequest(1, "o/r", 5, "a" * 40, "test"))
    assert review_id is not None
    _dead(db, review_id, "GitHub 502 Bad Gateway")

    listed = runner.invoke(app, ["jobs", "dead"])
    assert listed.exit_code == 0
    assert "o/r" in listed.output and "502" in listed.output

    retried = runner.invoke(app, ["jobs", "retry", str(review_id)])
    assert retried.exit_code == 0, retried.output
    assert "re-queued" in retried.output
    assert "no dead letters" in runner.invoke(app, ["jobs", "dead"]).output
    row = workitems.get_review(db, review_id)
    assert row is not None and row.status == "queued"

    again = runner.invoke(app, ["jobs", "retry", str(review_id)])
    assert again.exit_code == 1


def test_jobs_dead_lists_and_retries_ci_runs_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from argusai.ci.models import CIRun
    from argusai.store.models import DeadLetter

    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'argus.db'}")
    with db.session() as s:
        run = CIRun(
            installation_id=1,
            repo_name="o/r",
            run_id=99,
            run_attempt=2,
            status="failed",
            attempts=6,
        )
        s.add(run)
        s.flush()
        s.add(DeadLetter(kind="ci_run", item_id=run.id, reason="GitHub 502", attempts=6))
        run_id = run.id
    listed = runner.invoke(app, ["jobs", "dead"])
    assert "ci_run" in listed.output and "o/r run 99/2" in listed.output
    assert runner.invoke(app, ["jobs", "retry", str(run_id), "--kind", "nope"]).exit_code == 2
    retried = runner.invoke(app, ["jobs", "retry", str(run_id), "--kind", "ci_run"])
    assert retried.exit_code == 0, retried.output
    with db.session() as s:
        row = s.get(CIRun, run_id)
        assert row is not None and (row.status, row.attempts) == ("queued", 0)
    assert "no dead letters" in runner.invoke(app, ["jobs", "dead"]).output


def test_version_and_bare_commands_show_help(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import version as installed

    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert (version.exit_code, version.stdout) == (0, f"argus {installed('argusai')}\n")
    for args in ([], ["db"], ["jobs"], ["scout", "source"]):
        shown = runner.invoke(app, args, prog_name="argus")
        assert shown.exit_code == 0, (args, shown.output)
        assert "Usage: argus" in shown.stdout
        # the root groups its commands in panels, a new user's first ones first
        panels = ("Run ArgusAI", "Operate", "CI analysis API", "Scout") if not args else ()
        titles = [line for line in shown.stdout.splitlines() if line.startswith("╭─ ")]
        assert [t.split(" ")[1] for t in titles][1:] == (
            [p.split(" ")[0] for p in panels] if panels else ["Commands"]
        ), titles
    root = runner.invoke(app, [], prog_name="argus").stdout
    assert root.index("serve") < root.index("dashboard-token") < root.index("usage")


def test_db_upgrade_says_what_it_applied(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from argusai.store.migrate import alembic_config

    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head, count = scripts.get_current_head(), len(list(scripts.walk_revisions()))
    first = CliRunner().invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert first.stdout == f"applied {count} migrations (now at {head})\n"
    again = CliRunner().invoke(app, ["db", "upgrade"])
    assert again.stdout == f"already up to date (at {head})\n"


def test_jobs_dead_and_retry_in_a_fresh_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    dead = runner.invoke(app, ["jobs", "dead"])
    assert (dead.exit_code, dead.stdout) == (0, "no dead letters\n"), dead.output
    missing = runner.invoke(app, ["jobs", "retry", "99"])
    assert missing.exit_code == 2
    assert missing.stderr == "argus: error: review 99 does not exist (see 'argus jobs dead')\n"
    missing_run = runner.invoke(app, ["jobs", "retry", "99", "--kind", "ci_run"])
    assert missing_run.exit_code == 2 and "ci_run 99 does not exist" in missing_run.stderr


def test_jobs_retry_of_an_item_that_did_not_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'argus.db'}")
    review_id = workitems.enqueue_review(db, ReviewRequest(1, "o/r", 5, "a" * 40, "test"))
    result = CliRunner().invoke(app, ["jobs", "retry", str(review_id)])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"argus: error: review {review_id} is queued, not failed: nothing to retry\n"
    )


def test_jobs_dead_prints_reasons_as_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'argus.db'}")
    review_id = workitems.enqueue_review(db, ReviewRequest(1, "o/r", 5, "a" * 40, "test"))
    assert review_id is not None
    reason = "build.rs:100: [red]panic[/red]"
    _dead(db, review_id, reason)
    listed = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["jobs", "dead"])
    assert reason in listed.stdout, listed.stdout


def test_scout_list_rejects_an_unknown_difficulty(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    bad = CliRunner().invoke(app, ["scout", "list", "--difficulty", "easy"])
    assert bad.exit_code == 2
    assert "'easy' is not one of" in bad.stderr and "beginner" in bad.stderr
    good = CliRunner().invoke(app, ["scout", "list", "--difficulty", "Beginner"])
    assert (good.exit_code, good.stdout) == (0, "no issues match\n"), good.output

"""The crawl against FakeGitHub on loopback: real list, budget + continuation, kill + resume."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from argusai.scout.auth import CrawlIdentity
from argusai.scout.crawl import CrawlReport, run_crawl
from argusai.scout.crawl_env import CrawlEnv
from argusai.scout.models import ScoutIssue, ScoutRepository, ScoutRun
from argusai.scout.runs import interrupted_run
from argusai.scout.sources.awesome import parse_awesome_data
from tests.conftest import make_settings, shared_path
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_github_scout import seed_listed_repos
from tests.fakes.keys import generate_rsa_keypair
from tests.support import make_runtime

PAT = "ghp_scout_test_token"


class Killed(BaseException):
    """The process dies (not an Exception: nothing gets to record an outcome)."""


@pytest.fixture(scope="module")
def data_json() -> str:
    return shared_path("data", "awesome-for-beginners", "data.json").read_text()


@pytest.fixture
def gh(data_json: str) -> Iterator[FakeGitHub]:
    _, public = generate_rsa_keypair()
    labels = {r.full_name: r.label for r in parse_awesome_data(data_json).repos}
    with FakeGitHub(app_id=1, public_key_pem=public) as fake:
        fake.add_personal_token(PAT)
        seed_listed_repos(fake, data_json, label_of=lambda full: labels[full])
        yield fake


class Crawler:
    """A catalogue database plus the crawl's env; records what was enqueued."""

    def __init__(self, root: Path, gh: FakeGitHub, **overrides: Any) -> None:
        settings = make_settings(
            root, github_api_url=gh.base_url, scout_github_token=PAT, **overrides
        )
        self.rt = make_runtime(settings)
        self.enqueued: list[tuple[str, int, int]] = []
        self.continuations: list[int] = []
        self.env = CrawlEnv(
            db=self.rt.db,
            settings=settings,
            identity=CrawlIdentity(settings, None),
            enqueue=lambda k, i, p: self.enqueued.append((k, i, p)),
            schedule_continuation=lambda run_id, delay: self.continuations.append(run_id),
        )

    def run(self, **kw: Any) -> CrawlReport:
        return run_crawl(self.env, **kw)

    def run_to_end(self, budget: int) -> list[CrawlReport]:
        reports = [self.run(budget=budget)]
        while reports[-1].outcome == "budget":
            assert reports[-1].continued
            reports.append(self.run(budget=budget, parent_run_id=self.continuations[-1]))
        return reports

    def catalogue(self) -> dict[str, Any]:
        with self.rt.db.session() as s:
            repos = {
                r.full_name: (
                    r.metadata_hash,
                    r.etag,
                    r.issues_etag,
                    r.label,
                    r.description,
                    r.priority,
                    r.processing_status,
                )
                for r in s.scalars(select(ScoutRepository))
            }
            names = {r.id: r.full_name for r in s.scalars(select(ScoutRepository))}
            issues = {
                f"{names[i.repository_id]}#{i.number}": (
                    i.metadata_hash,
                    i.title,
                    i.priority,
                    i.processing_status,
                    i.labels,
                    i.comments,
                )
                for i in s.scalars(select(ScoutIssue))
            }
        return {"repos": repos, "issues": issues}

    def queued_keys(self) -> set[tuple[str, str]]:
        with self.rt.db.session() as s:
            names = {r.id: r.full_name for r in s.scalars(select(ScoutRepository))}
            issues = {
                i.id: f"{names[i.repository_id]}#{i.number}" for i in s.scalars(select(ScoutIssue))
            }
        return {(k, names[i] if k == "repository" else issues[i]) for k, i, _ in self.enqueued}


@pytest.mark.shared
def test_first_crawl_of_the_real_list(tmp_path: Path, gh: FakeGitHub) -> None:
    crawler = Crawler(tmp_path, gh)
    report = crawler.run(unlimited=True)
    assert report.outcome == "done"
    catalogue = crawler.catalogue()
    assert len(catalogue["repos"]) == 222
    assert len(catalogue["issues"]) == 222 * 2  # the assigned issue and the PR stay out
    assert report.requests == 1 + 222 * 2 and report.not_modified == 0
    assert len(crawler.enqueued) == report.queued == 222 * 3
    assert gh.max_in_flight <= 10
    lines = [json.loads(x) for x in Path(report.log_path).read_text().splitlines()]
    events = {x["event"] for x in lines}
    assert {"start", "request", "hash", "queued", "source", "end"} <= events
    assert Path(report.log_path).name.startswith(f"scout-{report.run_id}-")
    assert "/logs/" in report.log_path
    with crawler.rt.db.session() as s:
        run = s.get(ScoutRun, report.run_id)
        assert run is not None
        assert (run.outcome, run.requests_used, run.items_queued, run.cursor) == (
            "done",
            report.requests,
            666,
            None,
        )


@pytest.mark.shared
def test_second_crawl_unchanged_is_all_304_and_queues_nothing(
    tmp_path: Path, gh: FakeGitHub
) -> None:
    crawler = Crawler(tmp_path, gh)
    crawler.run(unlimited=True)
    before, rate_before = crawler.catalogue(), gh.rate_limit_remaining
    crawler.enqueued.clear()
    second = crawler.run(unlimited=True)
    assert second.requests == 1 + 222 * 2
    assert second.not_modified == second.requests  # the list itself answered 304 too
    assert crawler.enqueued == [] and second.queued == 0
    assert gh.rate_limit_remaining == rate_before  # 304s cost no rate limit
    assert crawler.catalogue() == before


@pytest.mark.shared
def test_changes_are_queued_and_closed_or_assigned_issues_leave(
    tmp_path: Path, gh: FakeGitHub
) -> None:
    crawler = Crawler(tmp_path, gh)
    crawler.run(unlimited=True)
    crawler.enqueued.clear()
    gh.update_issue("ppy", "osu", 1, title="Renamed")
    gh.update_issue("ppy", "osu", 2, state="closed")
    gh.update_issue("MvvmCross", "MvvmCross", 1, assignees=["me"])
    gh.set_repo_meta("unoplatform", "uno", description="New words")
    crawler.run(unlimited=True)
    assert crawler.queued_keys() == {("issue", "ppy/osu#1"), ("repository", "unoplatform/uno")}
    issues = crawler.catalogue()["issues"]
    assert "ppy/osu#2" not in issues and "MvvmCross/MvvmCross#1" not in issues
    assert issues["ppy/osu#1"][1] == "Renamed"


def _small_list(gh: FakeGitHub, data_json: str, count: int) -> None:
    data = json.loads(data_json)
    data["repositories"] = data["repositories"][:count]
    gh.set_file("MunGell", "awesome-for-beginners", "data.json", json.dumps(data))
    # one repository with two pages of issues: the cursor must stop and resume mid-listing
    label = parse_awesome_data(json.dumps(data)).repos[2]
    for n in range(10, 160):
        gh.add_issue(
            label.owner,
            label.name,
            n,
            f"Bulk {n}",
            labels=[label.label],
            updated_at=1767225700.0 + n,
        )


def _per_repository(gh: FakeGitHub) -> Counter[tuple[str, str | None]]:
    """GETs per repository path and issues page (the source list itself left out)."""
    return Counter(
        (r.path, r.query.get("page")) for r in gh.requests("GET") if "/contents/" not in r.path
    )


@pytest.mark.shared
def test_budget_7_with_continuations_equals_one_unlimited_run(
    tmp_path: Path, gh: FakeGitHub, data_json: str
) -> None:
    _small_list(gh, data_json, 40)
    gh.clear_requests()
    unlimited = Crawler(tmp_path / "a", gh)
    assert unlimited.run(unlimited=True).outcome == "done"
    one_run = _per_repository(gh)
    gh.clear_requests()
    limited = Crawler(tmp_path / "b", gh)
    reports = limited.run_to_end(7)
    assert len(reports) > 10
    assert all(r.requests <= 7 for r in reports)
    cut = [p for r in reports for p in (r.cursor or {}).get("partial", [])]
    assert any(p["page"] > 1 for p in cut)  # stopped mid-listing
    # no repository fetched beside a cut-off is fetched again: each metadata asked once
    assert _per_repository(gh) == one_run
    assert limited.catalogue() == unlimited.catalogue()
    assert limited.queued_keys() == unlimited.queued_keys()
    assert len(limited.enqueued) == len(unlimited.enqueued)  # nothing queued twice


@pytest.mark.shared
def test_killed_run_resumes_from_its_cursor(tmp_path: Path, gh: FakeGitHub, data_json: str) -> None:
    _small_list(gh, data_json, 40)
    reference = Crawler(tmp_path / "a", gh)
    reference.run(unlimited=True)
    crawler = Crawler(tmp_path / "b", gh)

    def die(source: str, done: int, total: int) -> None:
        if done == 17:
            raise Killed

    crawler.env.progress = die
    with pytest.raises(Killed):
        crawler.run(unlimited=True)
    with crawler.rt.db.session() as s:
        run = s.scalars(select(ScoutRun)).one()
        assert run.outcome == "running" and run.cursor is not None
        assert run.cursor["position"] == 17
        killed_id = run.id
    crawler.env.progress = None
    resumed = crawler.run(unlimited=True, parent_run_id=killed_id)
    assert resumed.outcome == "done"
    assert crawler.catalogue() == reference.catalogue()
    assert crawler.queued_keys() == reference.queued_keys()


@pytest.mark.shared
def test_failed_run_is_found_and_resumed(tmp_path: Path, gh: FakeGitHub, data_json: str) -> None:
    _small_list(gh, data_json, 20)
    crawler = Crawler(tmp_path, gh)

    def boom(source: str, done: int, total: int) -> None:
        if done == 5:
            raise RuntimeError("bug")

    crawler.env.progress = boom
    with pytest.raises(RuntimeError):
        crawler.run(unlimited=True)
    failed = interrupted_run(crawler.rt.db)
    assert failed is not None
    crawler.env.progress = None
    assert crawler.run(unlimited=True, parent_run_id=failed).outcome == "done"
    assert interrupted_run(crawler.rt.db) is None

"""Nothing lost, nothing fetched twice: failed fetches, cut-off runs, moved and gone repositories.

A small list of six repositories on FakeGitHub; what is asserted is what a user would see:
catalogue rows, requests the fake received, items queued for the LLM, the run's outcome.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from argusai.scout.models import ScoutGone, ScoutIssue, ScoutRepository, ScoutRun
from argusai.scout.process_kind import REPOSITORIES
from argusai.workq.items import due_for_dispatch
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_github_scout import seed_listed_repos
from tests.fakes.keys import generate_rsa_keypair
from tests.integration.test_scout_crawl import PAT, Crawler

LABEL = "good first issue"
DATA = {
    "technologies": {},
    "repositories": [
        {
            "name": f"Repo {i}",
            "link": f"https://github.com/org{i}/repo{i}",
            "label": LABEL,
            "technologies": ["Python"],
            "description": f"Repository {i}",
        }
        for i in range(6)
    ],
}


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    _, public = generate_rsa_keypair()
    with FakeGitHub(app_id=1, public_key_pem=public) as fake:
        fake.add_personal_token(PAT)
        seed_listed_repos(fake, json.dumps(DATA), label_of=lambda _full: LABEL)
        yield fake


def per_repository(gh: FakeGitHub) -> Counter[tuple[str, str | None]]:
    """GETs per repository path and issues page (the source list itself left out)."""
    return Counter(
        (r.path, r.query.get("page")) for r in gh.requests("GET") if "/contents/" not in r.path
    )


def run_row(crawler: Crawler, run_id: int) -> ScoutRun:
    with crawler.rt.db.session() as s:
        run = s.get(ScoutRun, run_id)
        assert run is not None
        return run


# ---- a failed fetch leaves the catalogue alone and the run partial -------------------------


def test_a_502_keeps_the_repository_and_the_run_is_partial(tmp_path: Path, gh: FakeGitHub) -> None:
    crawler = Crawler(tmp_path, gh)
    assert crawler.run(unlimited=True).outcome == "done"
    before = crawler.catalogue()
    assert "org1/repo1#1" in before["issues"]
    crawler.enqueued.clear()

    gh.fail("GET", "/repos/org1/repo1/issues", 502)
    gh.fail("GET", "/repos/org2/repo2", 503)
    report = crawler.run(unlimited=True)
    assert crawler.catalogue() == before  # no issue deleted
    assert report.outcome == "partial"
    assert {s["repo"] for s in report.skipped} == {"org1/repo1", "org2/repo2"}
    run = run_row(crawler, report.run_id)
    assert run.outcome == "partial" and run.cursor is None
    assert run.skipped is not None and {s["repo"] for s in run.skipped} == {
        "org1/repo1",
        "org2/repo2",
    }

    # the next run retries them: unchanged (all 304), nothing re-created, nothing queued again
    again = crawler.run(unlimited=True)
    assert again.outcome == "done" and again.skipped == ()
    assert again.not_modified == again.requests
    assert crawler.catalogue() == before
    assert crawler.enqueued == []
    # (the fake logs the status it meant before a matching ETag turned it into a 304)
    assert [r.status for r in gh.requests("GET", "/repos/org1/repo1/issues")] == [200, 502, 200]


def test_an_unreadable_source_list_makes_the_run_partial(tmp_path: Path, gh: FakeGitHub) -> None:
    crawler = Crawler(tmp_path, gh)
    crawler.run(unlimited=True)
    before = crawler.catalogue()
    gh.fail("GET", "/repos/MunGell/awesome-for-beginners/contents/*", 502)
    report = crawler.run(unlimited=True)
    assert report.outcome == "partial"
    assert [s["source"] for s in report.skipped] == ["awesome-for-beginners"]
    assert crawler.catalogue() == before


def test_a_skip_early_in_a_chain_makes_its_last_run_partial(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.fail("GET", "/repos/org0/repo0/issues", 502)
    reports = Crawler(tmp_path, gh).run_to_end(5)
    assert len(reports) > 1
    assert [r.outcome for r in reports[:-1]] == ["budget"] * (len(reports) - 1)
    assert reports[-1].outcome == "partial"
    assert [s["repo"] for s in reports[-1].skipped] == ["org0/repo0"]


# ---- continuations resume exactly where the budget ran out ---------------------------------


def test_continuations_request_each_repository_as_one_unlimited_run(
    tmp_path: Path, gh: FakeGitHub
) -> None:
    for n in range(10, 260):  # three pages of issues: cut-offs fall inside the listing
        gh.add_issue("org2", "repo2", n, f"Bulk {n}", labels=[LABEL], updated_at=1767225700.0 + n)
    gh.clear_requests()
    unlimited = Crawler(tmp_path / "a", gh)
    assert unlimited.run(unlimited=True).outcome == "done"
    one_run = per_repository(gh)
    assert all(count == 1 for count in one_run.values())

    for budget in (3, 4, 5):
        gh.clear_requests()
        limited = Crawler(tmp_path / f"b{budget}", gh)
        reports = limited.run_to_end(budget)
        assert len(reports) > 3 and reports[-1].outcome == "done"
        assert per_repository(gh) == one_run, budget  # each metadata and page asked once
        assert limited.catalogue() == unlimited.catalogue()
        assert len(limited.enqueued) == len(unlimited.enqueued)


def test_a_rate_limited_listing_resumes_at_the_issues_step(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.rate_limit_secondary("GET", "/repos/org3/repo3/issues", retry_after=0)
    crawler = Crawler(tmp_path, gh)
    reports = crawler.run_to_end(1000)
    assert [r.outcome for r in reports] == ["budget", "done"]
    assert [r.status for r in gh.requests("GET", "/repos/org3/repo3")] == [200]
    assert [r.status for r in gh.requests("GET", "/repos/org3/repo3/issues")] == [429, 200]
    assert "org3/repo3#1" in crawler.catalogue()["issues"]


# ---- archived, gone and moved repositories ---------------------------------------------


def test_an_archived_repository_is_not_queued_for_a_summary(tmp_path: Path, gh: FakeGitHub) -> None:
    gh.set_repo_meta("org3", "repo3", archived=True)
    crawler = Crawler(tmp_path, gh)
    crawler.run(unlimited=True)
    assert ("repository", "org3/repo3") not in crawler.queued_keys()
    assert ("repository", "org1/repo1") in crawler.queued_keys()
    with crawler.rt.db.session() as s:
        row = s.scalars(
            select(ScoutRepository).where(ScoutRepository.full_name == "org3/repo3")
        ).one()
        assert row.processing_status != "pending"
        archived_id = row.id
        listed_id = s.scalars(
            select(ScoutRepository.id).where(ScoutRepository.full_name == "org1/repo1")
        ).one()
    # nor does the work queue's sweeper, which sends every item whose message may be lost
    swept = due_for_dispatch(crawler.rt.db, REPOSITORIES, stale_after=timedelta(0))
    assert archived_id not in swept
    assert listed_id in swept  # (the crawler here records enqueues: no message was sent)


def test_a_deleted_repository_is_rechecked_after_a_week_only(
    tmp_path: Path, gh: FakeGitHub
) -> None:
    crawler = Crawler(tmp_path, gh)
    crawler.run(unlimited=True)
    gh.delete_repo("org4", "repo4")
    gh.clear_requests()
    assert crawler.run(unlimited=True).outcome == "done"
    assert "org4/repo4" not in crawler.catalogue()["repos"]
    assert [r.status for r in gh.requests("GET", "/repos/org4/repo4*")] == [404]
    gh.clear_requests()

    assert crawler.run(unlimited=True).outcome == "done"
    assert gh.requests("GET", "/repos/org4/repo4*") == []  # remembered: no request

    with crawler.rt.db.session() as s:  # eight days pass
        for mark in s.scalars(select(ScoutGone)):
            mark.seen_at -= timedelta(days=8)
    crawler.run(unlimited=True)
    assert [r.status for r in gh.requests("GET", "/repos/org4/repo4*")] == [404]
    gh.clear_requests()
    crawler.run(unlimited=True)
    assert gh.requests("GET", "/repos/org4/repo4*") == []


def test_a_moved_repository_is_followed_once_and_recorded(tmp_path: Path, gh: FakeGitHub) -> None:
    crawler = Crawler(tmp_path, gh)
    crawler.run(unlimited=True)
    with crawler.rt.db.session() as s:
        issue_ids = {
            i.number: i.id
            for i in s.scalars(
                select(ScoutIssue)
                .join(ScoutRepository)
                .where(ScoutRepository.full_name == "org5/repo5")
            )
        }
    gh.rename_repo("org5", "repo5", "neworg", "renamed")
    crawler.enqueued.clear()
    gh.clear_requests()

    assert crawler.run(unlimited=True).outcome == "done"
    assert [r.status for r in gh.requests("GET", "/repos/org5/repo5*")] == [301]
    assert len(gh.requests("GET", "/repositories/*")) == 1
    catalogue = crawler.catalogue()
    assert "org5/repo5" not in catalogue["repos"] and "neworg/renamed" in catalogue["repos"]
    with crawler.rt.db.session() as s:  # the same rows, under the new name
        moved = {
            i.number: i.id
            for i in s.scalars(
                select(ScoutIssue)
                .join(ScoutRepository)
                .where(ScoutRepository.full_name == "neworg/renamed")
            )
        }
    assert moved == issue_ids
    assert not any(kind == "issue" for kind, _ in crawler.queued_keys())

    gh.clear_requests()
    crawler.enqueued.clear()
    third = crawler.run(unlimited=True)
    assert third.outcome == "done" and third.not_modified == third.requests  # all 304
    assert gh.requests("GET", "/repos/org5/*") == []
    assert gh.requests("GET", "/repositories/*") == []
    asked = gh.requests("GET", "/repos/neworg/renamed*")
    assert len(asked) == 2 and all("if-none-match" in r.headers for r in asked)
    assert crawler.catalogue() == catalogue and crawler.enqueued == []


def test_a_redirect_to_another_host_is_not_followed(tmp_path: Path, gh: FakeGitHub) -> None:
    _, public = generate_rsa_keypair()
    with FakeGitHub(app_id=2, public_key_pem=public) as elsewhere:
        gh.fail(
            "GET",
            "/repos/org1/repo1",
            301,
            headers={"Location": f"{elsewhere.base_url}/repos/org1/repo1"},
        )
        report = Crawler(tmp_path, gh).run(unlimited=True)
        assert elsewhere.requests() == []  # the token never left for another host
    assert report.outcome == "partial"
    assert [s["repo"] for s in report.skipped] == ["org1/repo1"]

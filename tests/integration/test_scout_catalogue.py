"""The catalogue over HTTP (API filters, pagination, the HTML page) and in the terminal."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from argusai.runtime import Runtime
from argusai.scout.catalogue_cli import scout_list
from argusai.scout.routes import router
from argusai.web.app import create_app
from tests.browser.seed import HOSTILE_TITLE, seed_catalogue
from tests.conftest import make_settings
from tests.support import make_runtime


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = make_runtime(make_settings(tmp_path))
    seed_catalogue(runtime.db)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    app = create_app(rt)
    app.include_router(router)
    return TestClient(app)


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_issues_list_open_issues_with_summaries(client: TestClient) -> None:
    body = client.get("/v1/scout/issues").json()
    assert body["total"] == 7  # the closed issue is not in the catalogue
    first = body["items"][0]
    assert first["repository"] == "pyorg/pytool"
    assert first["url"] == "https://github.com/pyorg/pytool/issues/1"
    assert first["summary"] == "Add a flag to the CLI."
    assert first["difficulty"] == "beginner"
    assert first["languages"] == ["Python", "Shell"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("language=python", {"Add a --verbose flag", "Speed up the parser", "Fix typo in README"}),
        ("language=CSS", {"Button has wrong colour", "Support keyboard navigation"}),
        (
            "difficulty=beginner",
            {"Add a --verbose flag", "Fix typo in README", "Button has wrong colour"},
        ),
        ("language=Python&difficulty=advanced", {"Speed up the parser"}),
        ("label=docs", {"Fix typo in README"}),
        ("q=keyboard", {"Support keyboard navigation"}),
        ("q=typo&language=Rust", set()),
        ("q=100%25", set()),  # LIKE wildcards in the text are literal
    ],
)
def test_issue_filters(client: TestClient, query: str, expected: set[str]) -> None:
    response = client.get(f"/v1/scout/issues?{query}")
    assert response.status_code == 200
    body = response.json()
    assert set(titles(body)) == expected
    assert body["total"] == len(expected)


def test_issue_pagination(client: TestClient) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        body = client.get(f"/v1/scout/issues?limit=3&offset={offset}").json()
        assert body["total"] == 7 and body["limit"] == 3
        seen += titles(body)
        offset = body["next_offset"]
    assert len(seen) == 7 == len(set(seen))


def test_bad_parameters_are_422(client: TestClient) -> None:
    assert client.get("/v1/scout/issues?difficulty=impossible").status_code == 422
    assert client.get("/v1/scout/issues?limit=0").status_code == 422
    assert client.get("/v1/scout/issues?limit=101").status_code == 422
    assert client.get("/v1/scout/repositories?offset=-1").status_code == 422


def test_repositories_filters(client: TestClient) -> None:
    body = client.get("/v1/scout/repositories").json()
    assert [r["full_name"] for r in body["items"]] == [
        "pyorg/pytool",
        "jsorg/widget",
        "rustorg/engine",
    ]
    assert body["items"][0]["summary"] == "pyorg/pytool summary"
    assert body["items"][0]["stack"] == ["Python"]
    by_language = client.get("/v1/scout/repositories?language=rust").json()
    assert [r["full_name"] for r in by_language["items"]] == ["rustorg/engine"]
    advanced = client.get("/v1/scout/repositories?difficulty=advanced").json()
    assert [r["full_name"] for r in advanced["items"]] == ["pyorg/pytool"]
    labelled = client.get("/v1/scout/repositories?label=help%20wanted&q=widget").json()
    assert labelled["total"] == 1


def test_page_escapes_hostile_titles(client: TestClient) -> None:
    response = client.get("/scout?language=Rust")
    assert response.status_code == 200
    html = response.text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<b>this</b>" not in html  # the stored summary is escaped too
    assert "script-src 'self'" in response.headers["content-security-policy"]
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/scout/static/scout.js" defer>']
    assert 'href="https://github.com/rustorg/engine/issues/20"' in html
    assert HOSTILE_TITLE not in html


def test_page_filters_and_pagination_links(client: TestClient) -> None:
    html = client.get("/scout?language=Python&difficulty=beginner").text
    assert "Add a --verbose flag" in html and "Fix typo in README" in html
    assert "Speed up the parser" not in html and "Button has wrong colour" not in html
    assert '<option value="Python" selected>' in html
    assert '<option value="beginner" selected>' in html
    assert "2 issues" in html
    # unknown difficulty on the page is ignored rather than an error
    assert client.get("/scout?difficulty=<x>").status_code == 200


def test_static_script_is_served(client: TestClient) -> None:
    response = client.get("/scout/static/scout.js")
    assert response.status_code == 200
    assert "addEventListener" in response.text
    assert client.get("/scout/static/../templates/scout.html").status_code == 404


def test_scout_list_prints_a_table(rt: Runtime) -> None:
    out = io.StringIO()
    console = Console(file=out, width=250, color_system=None)
    page = scout_list(rt.db, language="Rust", console=console)
    text = out.getvalue()
    assert page.total == 2
    assert "rustorg/engine" in text and "Not yet analysed" in text
    assert "<script>" not in text  # titles are cleaned before printing

    out.truncate(0)
    scout_list(rt.db, kind="repositories", q="widget", console=console)
    assert "jsorg/widget" in out.getvalue()

    out.truncate(0)
    scout_list(rt.db, difficulty="advanced", language="CSS", console=console)
    assert "no issues match" in out.getvalue()


EMOJI_LABEL = "🤩 Good First PR"


def test_label_filter_matches_non_ascii_labels(rt: Runtime, client: TestClient) -> None:
    import json

    from sqlalchemy import text

    from argusai.scout.models import ScoutIssue, ScoutRepository

    with rt.db.session() as s:
        repo = ScoutRepository(
            full_name="emoji/friendly",
            source="test",
            label=EMOJI_LABEL,
            html_url="https://github.com/emoji/friendly",
        )
        s.add(repo)
        s.flush()
        for n in range(1, 7):
            s.add(
                ScoutIssue(
                    repository_id=repo.id,
                    number=n,
                    title=f"Emoji issue {n}",
                    labels={"names": [EMOJI_LABEL, "names"]},
                )
            )
    with rt.db.session() as s:  # one row as a serialiser with ensure_ascii=False writes it
        raw = json.dumps({"names": [EMOJI_LABEL, "names"]}, ensure_ascii=False)
        s.execute(
            text("UPDATE scout_issues SET labels = :raw WHERE title = 'Emoji issue 6'"),
            {"raw": raw},
        )

    for asked in (EMOJI_LABEL, "🤩 good first pr"):
        body = client.get("/v1/scout/issues", params={"label": asked}).json()
        assert body["total"] == 6, asked
        assert {item["repository"] for item in body["items"]} == {"emoji/friendly"}
    assert client.get("/v1/scout/issues", params={"label": "🤩"}).json()["total"] == 0
    assert client.get("/v1/scout/issues", params={"label": "names"}).json()["total"] == 6
    assert client.get("/v1/scout/issues", params={"label": "docs"}).json()["total"] == 1
    page = client.get("/scout", params={"label": EMOJI_LABEL}).text
    assert "6 issues" in page and "Emoji issue 6" in page
    repos = client.get("/v1/scout/repositories", params={"label": EMOJI_LABEL}).json()
    assert [r["full_name"] for r in repos["items"]] == ["emoji/friendly"]


def test_label_filter_takes_the_label_whole(rt: Runtime, client: TestClient) -> None:
    from argusai.scout.models import ScoutIssue, ScoutRepository

    with rt.db.session() as s:
        repo = ScoutRepository(full_name="quote/org", source="test", label="x")
        s.add(repo)
        s.flush()
        s.add(
            ScoutIssue(
                repository_id=repo.id,
                number=1,
                title="Quoted",
                labels={"names": ['say "hi"', "a\\b"]},
            )
        )
        s.add(
            ScoutIssue(
                repository_id=repo.id, number=2, title="Not a label", labels={"names": ["other"]}
            )
        )
    assert titles(client.get("/v1/scout/issues", params={"label": 'say "hi"'}).json()) == ["Quoted"]
    assert titles(client.get("/v1/scout/issues", params={"label": "a\\b"}).json()) == ["Quoted"]
    # the key of the stored object is not a label
    assert client.get("/v1/scout/issues", params={"label": "names"}).json()["total"] == 0

"""Fetch a source's list of repositories (conditionally, cached on its scout_sources row)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from argusai.errors import GitHubError
from argusai.scout.auth import CrawlIdentity
from argusai.scout.budget import BudgetSpent
from argusai.scout.configured import SourceSpec
from argusai.scout.fetch import Fetcher
from argusai.scout.models import ScoutSource
from argusai.scout.sources.awesome import parse_awesome_data
from argusai.scout.sources.base import RepoRef, SourceList
from argusai.scout.sources.labels import choose_label
from argusai.scout.sources.markdown import parse_markdown_list
from argusai.store.db import Database

Log = Callable[[dict[str, Any]], None]


def load_source(
    db: Database, fetcher: Fetcher, identity: CrawlIdentity, spec: SourceSpec, log: Log
) -> SourceList:
    """The source's repositories; BudgetSpent when no request is left to ask for them."""
    if spec.kind == "installed":
        return _installed(fetcher, identity, spec)
    owner, _, name = str(spec.options["repo"]).partition("/")
    path = str(spec.options["path"])
    row, cache = _cached(db, spec)
    if not fetcher.budget.acquire(1):
        raise BudgetSpent(spec.name)
    answer = fetcher.get(f"/repos/{owner}/{name}/contents/{path}", etag=cache.get("etag"))
    if answer.not_modified and "repos" in cache:
        result = SourceList(repos=[RepoRef.from_json(r) for r in cache["repos"]])
        log(
            {
                "event": "source",
                "source": spec.name,
                "not_modified": True,
                "repos": len(result.repos),
            }
        )
        return result
    if answer.data is None:
        raise GitHubError(f"source {spec.name}: {owner}/{name}/{path} not found")
    text = base64.b64decode(str(answer.data.get("content", ""))).decode("utf-8")
    label = str(spec.options.get("label"))
    result = (
        parse_awesome_data(text, label)
        if spec.kind == "awesome-for-beginners"
        else parse_markdown_list(text, label)
    )
    log(
        {
            "event": "source",
            "source": spec.name,
            "not_modified": False,
            "repos": len(result.repos),
            "skipped": [{"entry": s.entry, "reason": s.reason} for s in result.skipped],
            "notes": [{"entry": s.entry, "note": s.reason} for s in result.notes],
        }
    )
    with db.session() as session:
        stored = session.get(ScoutSource, row) if row else None
        if stored is None:
            stored = ScoutSource(name=spec.name, kind=spec.kind, options=dict(spec.options))
            session.add(stored)
        stored.options = {
            **(stored.options or {}),
            "cache": {"etag": answer.etag, "repos": [r.to_json() for r in result.repos]},
        }
    return result


def _cached(db: Database, spec: SourceSpec) -> tuple[int | None, dict[str, Any]]:
    with db.session() as session:
        row = session.scalar(select(ScoutSource).where(ScoutSource.name == spec.name))
        if row is None:
            return None, {}
        cache = (row.options or {}).get("cache") or {}
        same = all((row.options or {}).get(k) == spec.options.get(k) for k in ("repo", "path"))
        return row.id, dict(cache) if same and isinstance(cache, dict) else {}


def _installed(fetcher: Fetcher, identity: CrawlIdentity, spec: SourceSpec) -> SourceList:
    """Repositories of every installation of the App (JWT, then installation tokens)."""
    choice = choose_label(str(spec.options.get("label")))
    result = SourceList()
    for installation_id in _paged(fetcher, "/app/installations", token=identity.jwt()):
        url: str | None = "/installation/repositories"
        params: dict[str, Any] | None = {"per_page": 100}
        while url:
            if not fetcher.budget.acquire(1):
                raise BudgetSpent(spec.name)
            answer = fetcher.get(url, params=params, installation_id=int(installation_id["id"]))
            for repo in (answer.data or {}).get("repositories", []):
                owner, name = str(repo["full_name"]).split("/", 1)
                ref = RepoRef(
                    owner, name, choice.query, choice.canonical, int(installation_id["id"])
                )
                result.add(ref, ref.full_name)
            url, params = answer.next_url, None
    return result


def _paged(fetcher: Fetcher, path: str, *, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = path
    params: dict[str, Any] | None = {"per_page": 100}
    while url:
        if not fetcher.budget.acquire(1):
            raise BudgetSpent(path)
        answer = fetcher.get(url, params=params, token=token)
        items.extend(answer.data or [])
        url, params = answer.next_url, None
    return items

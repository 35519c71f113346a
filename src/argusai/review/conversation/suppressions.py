"""Suppression rules in the database: made by ``ignore`` / ``ignore everywhere``, read by
every review before it posts, listed and removed with ``argus suppressions``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update

from argusai.review.conversation.models import Suppression
from argusai.review.conversation.suppress import Rule, Rules, title_key
from argusai.store.db import Database


@dataclass(frozen=True)
class StoredRule:
    """A rule as ``argus suppressions list`` and ``@argus config`` show it."""

    id: int
    repo_name: str
    pr_number: int | None
    fingerprint: str | None
    path_glob: str | None
    title: str
    created_by: str
    hits: int
    created_at: datetime

    @property
    def scope(self) -> str:
        """``repository`` or ``PR #n``."""
        return "repository" if self.pr_number is None else f"PR #{self.pr_number}"


def add_rule(
    db: Database,
    repo_name: str,
    *,
    title: str,
    fingerprint: str | None,
    path_glob: str | None,
    created_by: str,
    pr_number: int | None = None,
    source_comment_id: int | None = None,
) -> int:
    """Store a rule (or find the same one stored before); its id."""
    key = title_key(title) or None
    with db.session() as s:
        same = s.scalar(
            select(Suppression.id).where(
                Suppression.repo_name == repo_name,
                Suppression.pr_number.is_(None)
                if pr_number is None
                else Suppression.pr_number == pr_number,
                Suppression.fingerprint == fingerprint
                if fingerprint
                else Suppression.fingerprint.is_(None),
                Suppression.title_key == key if key else Suppression.title_key.is_(None),
                Suppression.path_glob == path_glob
                if path_glob
                else Suppression.path_glob.is_(None),
            )
        )
        if same is not None:
            return int(same)
        rule = Suppression(
            repo_name=repo_name,
            pr_number=pr_number,
            fingerprint=fingerprint,
            title_key=key,
            path_glob=path_glob[:1024] if path_glob else None,
            title=title[:500],
            created_by=created_by[:255],
            source_comment_id=source_comment_id,
            hits=0,
        )
        s.add(rule)
        s.flush()
        return int(rule.id)


def rules_for(db: Database, repo_name: str, pr_number: int) -> Rules:
    """The rules a review of this PR applies: the repository's, then the PR's own."""
    with db.session() as s:
        rows = s.scalars(
            select(Suppression)
            .where(
                Suppression.repo_name == repo_name,
                or_(Suppression.pr_number.is_(None), Suppression.pr_number == pr_number),
            )
            .order_by(Suppression.pr_number.is_not(None), Suppression.id)
        ).all()
        return Rules.of(
            Rule(r.id, r.pr_number, r.fingerprint, r.title_key, r.path_glob) for r in rows
        )


def count_hits(db: Database, hits: Counter[int]) -> None:
    """Add to each rule's count of findings it kept from being posted."""
    if not hits:
        return
    with db.session() as s:
        for rule_id, n in hits.items():
            s.execute(
                update(Suppression)
                .where(Suppression.id == rule_id)
                .values(hits=Suppression.hits + n)
            )


def list_rules(db: Database, repo_name: str, *, with_pr_rules: bool = True) -> list[StoredRule]:
    """The repository's rules (and, unless told otherwise, its PRs' ones), oldest first."""
    with db.session() as s:
        query = select(Suppression).where(func.lower(Suppression.repo_name) == repo_name.lower())
        if not with_pr_rules:
            query = query.where(Suppression.pr_number.is_(None))
        rows = s.scalars(query.order_by(Suppression.id)).all()
        return [
            StoredRule(
                r.id,
                r.repo_name,
                r.pr_number,
                r.fingerprint,
                r.path_glob,
                r.title,
                r.created_by,
                r.hits,
                r.created_at,
            )
            for r in rows
        ]


def remove_rule(db: Database, repo_name: str, rule_id: int) -> bool:
    """Delete one rule of the repository; False when it has no such rule."""
    with db.session() as s:
        result = s.execute(
            delete(Suppression).where(
                Suppression.id == rule_id, func.lower(Suppression.repo_name) == repo_name.lower()
            )
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

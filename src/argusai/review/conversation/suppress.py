"""Suppression rules, applied before anything is posted: pure matching.

A rule matches a finding by its fingerprint (the very same complaint) or by its title,
normalised, on a path the rule's glob matches (the same complaint on other lines, or
in other files when the glob says so). ``ignore`` makes a rule for one pull request,
``ignore everywhere`` one for the whole repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from argusai.review.fingerprint import normalise_text
from argusai.review.models import Finding
from argusai.review.select import matches

_GLOB_CHARS = frozenset("*?[{")


def title_key(title: str) -> str:
    """The title as rules compare it: case, punctuation and numbers do not matter."""
    return normalise_text(title, digits=False)


def path_matches(path: str, glob: str) -> bool:
    """A plain path matches itself only; a glob matches gitignore-style (``**`` too)."""
    path = path.strip().removeprefix("./")
    if not _GLOB_CHARS & set(glob):
        return path == glob.strip().removeprefix("./").removeprefix("/")
    return matches(path, [glob])


@dataclass(frozen=True)
class Rule:
    """One suppression rule (``pr_number`` None: the whole repository)."""

    id: int
    pr_number: int | None = None
    fingerprint: str | None = None
    title_key: str | None = None
    path_glob: str | None = None

    def matches(self, finding: Finding, fp: str) -> bool:
        """True when this rule keeps ``finding`` (fingerprint ``fp``) from being posted."""
        if self.fingerprint is not None and self.fingerprint == fp:
            return True
        if not self.title_key or title_key(finding.title) != self.title_key:
            return False
        return self.path_glob is None or path_matches(finding.path, self.path_glob)


@dataclass(frozen=True)
class Rules:
    """The rules that apply to one pull request (its own and the repository's)."""

    rules: tuple[Rule, ...] = ()

    def first_match(self, finding: Finding, fp: str) -> Rule | None:
        """The first rule that suppresses the finding, if any."""
        return next((r for r in self.rules if r.matches(finding, fp)), None)

    def __bool__(self) -> bool:
        return bool(self.rules)

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> Rules:
        """Rules in the order given."""
        return cls(tuple(rules))

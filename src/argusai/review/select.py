"""Choose the files worth reviewing; name every other file with the reason why not."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pathspec

from argusai.core.diff import ChangedFile
from argusai.review.globs import matches as matches  # re-exported: the checks, tests
from argusai.review.models import SkippedFile
from argusai.review.repo_config import RepoConfig

LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "bun.lock",
        "poetry.lock",
        "pdm.lock",
        "uv.lock",
        "pipfile.lock",
        "cargo.lock",
        "go.sum",
        "go.work.sum",
        "gemfile.lock",
        "composer.lock",
        "mix.lock",
        "pubspec.lock",
        "podfile.lock",
        "packages.lock.json",
        "flake.lock",
        "gradle.lockfile",
        "package.resolved",
        "deno.lock",
    }
)

_GENERATED = pathspec.GitIgnoreSpec.from_lines(
    [
        "*.min.js",
        "*.min.css",
        "*.map",
        "*_pb2.py",
        "*_pb2.pyi",
        "*_pb2_grpc.py",
        "*.pb.go",
        "*.pb.cc",
        "*.pb.h",
        "*.generated.*",
        "*.g.dart",
        "*.freezed.dart",
        "*.designer.cs",
        "dist/",
        "build/",
        "__snapshots__/",
        "*.snap",
        "*.ambr",
    ]
)
_VENDORED = pathspec.GitIgnoreSpec.from_lines(
    ["vendor/", "vendors/", "node_modules/", "third_party/", "third-party/", "bower_components/"]
)
_SUBMODULE = re.compile(r"^[+-]Subproject commit [0-9a-f]+", re.MULTILINE)
_SENSITIVE = re.compile(
    r"auth|login|session|passw|secret|token|crypt|security|permission|acl|oauth|jwt|sql|"
    r"migration|payment|billing|sanitiz|\.github/workflows/|dockerfile|\.env",
    re.IGNORECASE,
)
_DOCS = re.compile(r"(^|/)(docs?|documentation)/|\.(md|rst|txt|adoc)$|(^|/)(changelog|changes)")
_TESTS = re.compile(r"(^|/)(tests?|spec|__tests__|testdata|fixtures)/|(_test|\.test|\.spec)\.")


@dataclass
class Selection:
    """Files to review (in diff order) and files skipped, each with its reason."""

    files: list[ChangedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def changed_lines(patch: str) -> int:
    """Lines a patch adds or removes (its hunk headers and context not counted)."""
    return sum(1 for ln in patch.split("\n") if ln[:1] in ("+", "-"))


def _is_submodule(patch: str) -> bool:
    lines = [ln for ln in patch.split("\n") if ln[:1] in ("+", "-")]
    return bool(lines) and all(_SUBMODULE.match(ln) for ln in lines)


def skip_reason(f: ChangedFile, config: RepoConfig) -> str | None:
    """Why ``f`` is not reviewed, or None when it should be."""
    name = f.path.rsplit("/", 1)[-1].lower()
    if f.status == "removed":
        return "file removed"
    if f.patch is None:
        if f.additions or f.deletions:
            return "diff not provided (too large for GitHub's files API)"
        return "binary file"
    if config.include and not matches(f.path, config.include):
        return "not matched by `include` in .argus.yml"
    if config.exclude and matches(f.path, config.exclude):
        return "excluded by `exclude` in .argus.yml"
    if not f.patch.strip() or "@@" not in f.patch:
        if f.status == "renamed":
            return "renamed without content changes"
        return "no textual changes (mode change only)"
    if name in LOCK_FILES:
        return "lock file"
    if _VENDORED.match_file(f.path):
        return "vendored dependency"
    if _GENERATED.match_file(f.path):
        return "generated or minified file"
    if _is_submodule(f.patch):
        return "submodule pointer update"
    limit = config.max_lines_per_file
    if limit is not None and (lines := changed_lines(f.patch)) > limit:
        return f"{lines:,} changed lines, over `max_lines_per_file` ({limit:,})"
    return None


def priority(f: ChangedFile) -> float:
    """How much a file deserves one of the limited review slots (higher first)."""
    # log scale: size matters, but a small change to auth code beats a big one to docs
    score = math.log2(2.0 + f.additions + 0.25 * f.deletions)
    if _SENSITIVE.search(f.path):
        score *= 3.0
    if _DOCS.search(f.path.lower()):
        score *= 0.2
    elif _TESTS.search(f.path.lower()):
        score *= 0.5
    return score


def select_files(files: list[ChangedFile], config: RepoConfig, *, max_files: int) -> Selection:
    """Apply config globs and skip rules, then keep the ``max_files`` most deserving
    (``config.max_files`` wins when set)."""
    if config.max_files is not None:
        max_files = config.max_files
    selection = Selection()
    candidates: list[tuple[int, ChangedFile]] = []
    for position, f in enumerate(files):
        if not config.enabled:
            selection.skipped.append(SkippedFile(f.path, "reviews disabled in .argus.yml"))
            continue
        reason = skip_reason(f, config)
        if reason is None:
            candidates.append((position, f))
        else:
            selection.skipped.append(SkippedFile(f.path, reason))
    if len(candidates) > max_files:
        ranked = sorted(candidates, key=lambda pf: (-priority(pf[1]), pf[0]))
        kept = {position for position, _ in ranked[: max(max_files, 0)]}
        for _, f in ranked[max(max_files, 0) :]:
            selection.skipped.append(
                SkippedFile(f.path, f"over the limit of {max_files} files per review")
            )
        candidates = [pf for pf in candidates if pf[0] in kept]
    selection.files = [f for _, f in candidates]
    return selection

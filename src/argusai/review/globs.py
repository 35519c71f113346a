"""The globs of ``.argus.yml`` (include, exclude, path_instructions): gitignore rules, plus
bash-style braces (``**/*.{js,ts,py}``), which gitignore lacks and the seeds' examples use."""

from __future__ import annotations

from functools import lru_cache

import bracex
import pathspec

#: a glob's brace alternatives past this many are refused (``RepoConfig`` says so)
MAX_BRACE_EXPANSION = 256


def expand_braces(pattern: str) -> list[str]:
    """``**/*.{js,ts}`` → ``**/*.js``, ``**/*.ts`` (bash's rules, ``\\{`` escapes kept);
    raises ``ValueError`` past ``MAX_BRACE_EXPANSION`` alternatives."""
    try:
        return bracex.expand(pattern, keep_escapes=True, limit=MAX_BRACE_EXPANSION)
    except bracex.ExpansionLimitException:
        raise ValueError(
            f"the glob {pattern[:80]!r} expands to more than {MAX_BRACE_EXPANSION} patterns"
        ) from None


@lru_cache(maxsize=64)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    lines: list[str] = []
    for pattern in patterns:
        try:
            lines.extend(expand_braces(pattern))
        except ValueError:  # refused when the config was read; literal if it got here anyway
            lines.append(pattern)
    return pathspec.GitIgnoreSpec.from_lines(lines)


def matches(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """True when ``path`` matches any gitignore-style glob (``**`` crosses directories;
    braces as in bash: ``**/*.{js,ts}``)."""
    return bool(patterns) and _spec(tuple(patterns)).match_file(path)

"""Recall of labelled CI failure lines within the default budget, vs naive baselines.

``--baseline REV`` (default: the reducer before issue 14) runs the reducer of that commit in the
same process on the same logs, so that "before" and "after" come from one run. Per failure
class: the LogChunks logs grouped by what their labelled chunk is (a fixed rule over the label
text, below, not the reducer's own classes), by how far the chunk sits from the end of the log
and whether it fits the budget, and by the corpus's own ``category`` (numbered per repository:
0 is each repository's most common structure).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argusai.cilog import rank as cilog_rank
from argusai.cilog import reduce as cilog_reduce
from argusai.cilog.labels import chunk_lines, found, normalise_text
from argusai.cilog.reduce import DEFAULT_BUDGET, reduce_bytes
from argusai.core.tokens import count_tokens

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cilog_baseline  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "ci-logs"
OWN = ROOT / "tests" / "unit" / "cilog" / "data"

# What a labelled chunk is, first match wins. Written once for this report and kept fixed so
# that before/after compare the same groups; it reads the label, never the reducer's output.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "crash/timeout",
            r"segmentation fault|sig(?:segv|bus|abrt|kill)|core dumped|sanitizer|\bpanic"
            r"|killed|out of memory|timed out|timeout|took >|no output has been received",
        ),
        (
            "lint/style",
            r"lint|rubocop|checkstyle|offen[cs]es?\b|pep8|flake8|pycodestyle|gofmt|format"
            r"|style|scalastyle|jshint|jscs|codenarc|credo|hlint|clippy",
        ),
        (
            "compile",
            r"\S+[:(]\d+(?:[:,]\d+)?\)?:? (?:fatal )?error\b|error (?:CS|TS|C)\d+|error\[E\d+\]"
            r"|cannot find symbol|undefined reference|syntax ?error|compil|could not compile",
        ),
        (
            "test",
            r"\btests?\b|spec\b|assert|expected|not ok|failures?:|\bfail(?:ed)?\b|examples?"
            r"|✗|✕|×",
        ),
        (
            "dependency/install",
            r"install|dependenc|resolv|download|could not find|not found|no such file|\bgems?\b"
            r"|npm|pip\b|bundle|package|fetch|clone|version",
        ),
    )
)


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled log and the groups it is reported under."""

    set: str
    name: str
    data: bytes
    labels: list[str]
    repo: str = ""
    kind: str = ""
    position: str = ""
    size: str = ""
    category: str = ""


def kind_of(chunk: str) -> str:
    """The failure class of a labelled chunk (the KINDS rule)."""
    return next((name for name, pattern in KINDS if pattern.search(chunk)), "other")


def position_of(lines_from_end: int) -> str:
    """How far the labelled chunk starts from the log's end."""
    if lines_from_end <= 50:
        return "≤ 50 lines from end"
    if lines_from_end <= 500:
        return "51–500 lines from end"
    return "> 500 lines from end"


def labelled_logs() -> list[Labelled]:
    """Every labelled log available, with its groups."""
    out: list[Labelled] = []
    subset = SHARED / "logchunks" / "subset.jsonl"
    if subset.exists():
        for line in subset.read_text().splitlines():
            row = json.loads(line)
            data = (SHARED / "logchunks" / row["log"]).read_bytes()
            tokens = count_tokens(row["chunk"])
            out.append(
                Labelled(
                    "logchunks",
                    row["log"],
                    data,
                    chunk_lines(row["chunk"]),
                    repo=row["repo"],
                    kind=kind_of(row["chunk"]),
                    position=position_of(row["chunk_lines_from_end"]),
                    size="chunk fits the budget"
                    if tokens < DEFAULT_BUDGET * 0.9
                    else "chunk larger than the budget",
                    category=f"category {row['category'] if row['category'] in '012' else '3+'}",
                )
            )
    for labels in sorted((SHARED / "gha-actions").glob("*.labels.json")):
        must = json.loads(labels.read_text())["must_contain"]
        log = labels.with_name(labels.name.replace(".labels.json", ".log"))
        norm = [normalise_text(m) for m in must]
        out.append(Labelled("gha-actions", log.name, log.read_bytes(), norm, repo=log.stem))
    # Our own logs are small: each is set inside 3,000 lines of passing build output (and 40
    # after), as in tests/unit/cilog/test_reduce.py, so that the budget has something to cut.
    labels_file = OWN / "labels.json"
    if labels_file.exists():
        for name, must in json.loads(labels_file.read_text()).items():
            data = padding(3_000) + (OWN / name).read_bytes() + padding(40)
            out.append(Labelled("own", name, data, [normalise_text(m) for m in must], repo=name))
    return out


def padding(lines: int) -> bytes:
    """Passing build output with varied numbers and a few harmless keywords."""
    out = []
    for i in range(lines):
        out.append(f"[{i:05d}] Compiling module_{i % 97}.c ({i * 7 % 1000} ms) ok\n")
        if i % 50 == 0:
            out.append(f"tests/test_mod{i}.py::test_error_handling PASSED [{i % 100:3d}%]\n")
    return "".join(out).encode()


def last_lines(data: bytes, n: int = 200) -> str:
    """Baseline: the last n lines."""
    return "\n".join(data.decode("utf-8", "replace").split("\n")[-n:])


def last_bytes(data: bytes, n: int = 24 * 1024) -> str:
    """Baseline: the last n bytes (≈ 6k tokens)."""
    return data[-n:].decode("utf-8", "replace")


def argus(data: bytes) -> str:
    """ArgusAI's reducer with the default budget."""
    return reduce_bytes(data).excerpt


def pct(hit: int, total: int) -> str:
    """'hit/total = p %'."""
    return f"{hit}/{total} = {100 * hit / max(1, total):.1f} %"


def run(
    logs: list[Labelled], methods: dict[str, Callable[[bytes], str]]
) -> dict[str, dict[str, bool]]:
    """Method → log name → whether all its labels are in the method's output."""
    results: dict[str, dict[str, bool]] = {}
    for name, method in methods.items():
        started = time.perf_counter()
        results[name] = {log.name: all(found(log.labels, method(log.data))) for log in logs}
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return results


def table(
    title: str, groups: dict[str, list[Labelled]], results: dict[str, dict[str, bool]]
) -> None:
    """One row per group, one column per method."""
    methods = list(results)
    print(f"\n{title}")
    print(f"{'':34s}" + "".join(f"{m:>24s}" for m in methods))
    for group, logs in groups.items():
        row = f"{group[:33]:34s}"
        for m in methods:
            row += f"{pct(sum(results[m][log.name] for log in logs), len(logs)):>24s}"
        print(row)


# The reducer's parameters chosen while measuring on these logs (issue 14), and the values tried.
TUNED: dict[tuple[object, str], tuple[float, ...]] = {
    (cilog_rank, "POSITION_WEIGHT"): (0.0, 1.0, 2.0, 3.0, 4.0),
    (cilog_reduce, "HALO_FIRST_WINDOWS"): (0, 1, 2),
}


def leave_one_project_out(logs: list[Labelled]) -> None:
    """Recall when each project's logs are reduced with the values that did best on the others.

    Every combination of the TUNED values is run over the LogChunks logs once; then, for each of
    the 80 projects, the combination with the most logs found on the other 79 (ties: the shipped
    values) reduces that project's logs.
    """
    chunks = [log for log in logs if log.set == "logchunks"]
    grid = list(itertools.product(*TUNED.values()))
    shipped = tuple(getattr(module, name) for module, name in TUNED)
    found_by: dict[tuple[float, ...], dict[str, bool]] = {}
    for values in grid:
        for (module, name), value in zip(TUNED, values, strict=True):
            setattr(module, name, value)
        found_by[values] = {log.name: all(found(log.labels, argus(log.data))) for log in chunks}
        print(f"  {values}: {sum(found_by[values].values())}/{len(chunks)}", file=sys.stderr)
    for (module, name), value in zip(TUNED, shipped, strict=True):
        setattr(module, name, value)
    hits = 0
    chosen: Counter[tuple[float, ...]] = Counter()
    for repo in sorted({log.repo for log in chunks}):
        train = [log.name for log in chunks if log.repo != repo]
        best = max(grid, key=lambda v: (sum(found_by[v][n] for n in train), v == shipped))
        chosen[best] += 1
        hits += sum(found_by[best][log.name] for log in chunks if log.repo == repo)
    names = ", ".join(name for _, name in TUNED)
    print(f"\nleave-one-project-out over ({names}) = {grid}")
    print(
        f"  LogChunks recall: {pct(hits, len(chunks))} (shipped {shipped}: "
        f"{pct(sum(found_by[shipped].values()), len(chunks))})"
    )
    print("  chosen: " + ", ".join(f"{v} × {n}" for v, n in chosen.most_common()))


def main() -> int:
    """Print recall per set, per class and method; list the misses and what changed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=cilog_baseline.DEFAULT_REV, help="git rev, or ''")
    parser.add_argument(
        "--lopo", action="store_true", help="only the leave-one-project-out figure (slow)"
    )
    args = parser.parse_args()
    logs = labelled_logs()
    if args.lopo:
        count_tokens("warm up")
        leave_one_project_out(logs)
        return 0
    methods: dict[str, Callable[[bytes], str]] = {"argus (6k tokens)": argus}
    if args.baseline:
        old = cilog_baseline.load(args.baseline)
        methods[f"argus @{args.baseline[:7]}"] = lambda data: old.reduce_bytes(data).excerpt
    methods["last 200 lines"] = last_lines
    methods["last 24 KB"] = last_bytes
    count_tokens("warm up")
    results = run(logs, methods)
    by_set: dict[str, list[Labelled]] = defaultdict(list)
    for log in logs:
        by_set[log.set].append(log)
    by_set["all"] = logs
    table("by set", dict(sorted(by_set.items())), results)
    chunks = [log for log in logs if log.set == "logchunks"]
    for title, attr in (
        ("LogChunks by failure class (label text)", "kind"),
        ("LogChunks by position of the chunk", "position"),
        ("LogChunks by chunk size", "size"),
        ("LogChunks by corpus category (per repository)", "category"),
    ):
        groups: dict[str, list[Labelled]] = defaultdict(list)
        for log in chunks:
            groups[getattr(log, attr)].append(log)
        table(title, dict(sorted(groups.items())), results)
    table("GitHub Actions logs", {log.name: [log] for log in by_set["gha-actions"]}, results)
    budget_ok = all(count_tokens(argus(log.data)) <= DEFAULT_BUDGET for log in logs)
    print(f"\nevery excerpt within {DEFAULT_BUDGET:,} tokens: {budget_ok}")
    current = results["argus (6k tokens)"]
    misses = [f"{log.set}: {log.name} [{log.kind}]" for log in logs if not current[log.name]]
    if misses:
        print("argus misses:\n  " + "\n  ".join(misses))
    if args.baseline:
        before = results[f"argus @{args.baseline[:7]}"]
        gained = [log.name for log in logs if current[log.name] and not before[log.name]]
        lost = [log.name for log in logs if before[log.name] and not current[log.name]]
        print("found now, missed before:\n  " + ("\n  ".join(gained) or "-"))
        print("missed now, found before:\n  " + ("\n  ".join(lost) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

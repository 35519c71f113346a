"""Recall when the labelled logs are made harder in the ways real logs are (issue 14).

The visible LogChunks logs are few; the hold-out that counts is not here. Rather than tune on
the visible misses, this bench changes the *structure* around each labelled chunk, keeps the
labels, and measures whether the reducer (now and at ``--baseline``, same process) still keeps
all labelled lines within the default budget:

* ``far-own``: 20,000 lines of the log's own output from before its chunk (digits changed,
  command echoes and exit lines left out) inserted after the chunk, so that the failure sits
  tens of thousands of lines before the end of the same command's output, as when a test run
  goes on after its first failure;
* ``far-other``: the same with other repositories' output (taken from before their labelled
  chunk: setup, install, build and test output with their own warnings and non-fatal errors),
  a harsher version: every kind of error line these logs print, after the real one;
* ``competing``: the labelled chunks of three other repositories inserted before the chunk
  (earlier failures of the same kind of log, each a strong candidate of its own);
* ``redrawn``: each labelled line printed inside a progress redraw (``\\r`` states before and
  after it on the same line), as tools do when they print an error mid-progress;
* ``long-lines``: a 3,000-character line (a command line, a JSON record) after every fifth
  line of the 400 lines before the chunk, competing for the budget with the failure.

The transformations are fixed, seeded, and the same for both reducers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from argusai.cilog.labels import chunk_lines, found
from argusai.cilog.reduce import reduce_bytes
from argusai.core.tokens import count_tokens

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cilog_baseline  # noqa: E402

LOGCHUNKS = ROOT.parent / "shared" / "data" / "ci-logs" / "logchunks"
FAR_LINES = 20_000
# The inserted output continues the failing command: other logs' step boundaries and exit
# lines are left out (they would make it a different step).
_STEP_MARKERS = (b"travis_fold", b"travis_time", b'The command "', b"$ ", b"exited with")


def rows() -> list[dict[str, object]]:
    """The LogChunks subset with each log's lines (bytes, newline kept)."""
    out = ROWS
    for line in (LOGCHUNKS / "subset.jsonl").read_text().splitlines():
        row = json.loads(line)
        data = (LOGCHUNKS / row["log"]).read_bytes()
        # "\n" lines, as chunk_first_line_index counts them (bytes.splitlines also splits "\r")
        row["lines_b"] = [line + b"\n" for line in data.split(b"\n")]
        row["lines_b"][-1] = row["lines_b"][-1][:-1]
        row["labels"] = chunk_lines(row["chunk"])
        out.append(row)
    return out


ROWS: list[dict[str, object]] = []


def chunk_span(row: dict[str, object]) -> tuple[int, int]:
    """First line of the chunk and the line after it (0-based)."""
    first = int(str(row["chunk_first_line_index"]))
    return first, first + str(row["chunk"]).count("\n") + 1


def far(row: dict[str, object], others: list[dict[str, object]], rng: random.Random) -> bytes:
    """Pre-failure output of ``others`` inserted after the chunk (digits changed)."""
    lines: list[bytes] = row["lines_b"]  # type: ignore[assignment]
    _, end = chunk_span(row)
    noise: list[bytes] = []
    if all(len(o["lines_b"][: chunk_span(o)[0]]) < 50 for o in others):  # type: ignore[index]
        others = [o for o in ROWS if o["repo"] != row["repo"]]  # too short a log of its own
    digits = bytes.maketrans(b"0123456789", b"3456789012")
    while len(noise) < FAR_LINES:
        other = rng.choice(others)
        before = other["lines_b"][: chunk_span(other)[0]]  # type: ignore[index]
        if len(before) < 50:
            continue
        start = rng.randrange(len(before) - 40)
        noise.extend(
            line.translate(digits)
            for line in before[start : start + rng.randrange(40, 2_000)]
            if not any(marker in line for marker in _STEP_MARKERS)
        )
    return b"".join(lines[:end] + noise[:FAR_LINES] + lines[end:])


def competing(row: dict[str, object], others: list[dict[str, object]], rng: random.Random) -> bytes:
    """Three other repositories' labelled chunks (with their lines) before the chunk."""
    lines: list[bytes] = row["lines_b"]  # type: ignore[assignment]
    first, _ = chunk_span(row)
    inserted: list[bytes] = []
    for other in rng.sample(others, 3):
        o_first, o_end = chunk_span(other)
        inserted.extend(other["lines_b"][max(0, o_first - 5) : o_end + 5])  # type: ignore[index]
    at = max(0, first - 30)
    return b"".join(lines[:at] + inserted + lines[at:])


def redrawn(row: dict[str, object], rng: random.Random) -> bytes:
    """Each chunk line drawn inside a progress bar's redraws."""
    lines: list[bytes] = list(row["lines_b"])  # type: ignore[arg-type]
    first, end = chunk_span(row)
    for i in range(first, min(end, len(lines))):
        body = lines[i].rstrip(b"\r\n")
        if len(body.strip()) <= 8:
            continue
        before = b"".join(b"Downloading assets %3d%%\r" % p for p in range(0, 50, 7))
        after = b"".join(b"\rDownloading assets %3d%%" % p for p in range(50, 101, 10))
        lines[i] = before + body + after + b"\n"
    return b"".join(lines)


def long_lines(row: dict[str, object], rng: random.Random) -> bytes:
    """3,000-character lines among the 400 lines before the chunk."""
    lines: list[bytes] = list(row["lines_b"])  # type: ignore[arg-type]
    first, _ = chunk_span(row)
    flags = b" ".join(b"-I/opt/build/include/dep%d" % rng.randrange(10**6) for _ in range(110))
    record = b'{"level":"info","msg":"cache state","entries":[' + b'"k%07d",' * 300 + b'"end"]}'
    out: list[bytes] = []
    for i, line in enumerate(lines):
        if max(0, first - 400) <= i < first and i % 5 == 0:
            out.append((b"gcc -c -O2 " + flags if i % 10 else record)[:3_000] + b"\n")
        out.append(line)
    return b"".join(out)


def main() -> int:
    """Print recall per transformation for the reducer now and at the baseline."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=cilog_baseline.DEFAULT_REV)
    parser.add_argument("--only", nargs="*", help="transformations to run (default: all)")
    args = parser.parse_args()
    count_tokens("warm up")
    data = rows()
    old = cilog_baseline.load(args.baseline)
    reducers: dict[str, Callable[[bytes], str]] = {
        "argus now": lambda b: reduce_bytes(b).excerpt,
        f"argus @{args.baseline[:7]}": lambda b: old.reduce_bytes(b).excerpt,
    }
    transforms: dict[str, Callable[[dict[str, object], random.Random], bytes]] = {
        "none": lambda row, rng: b"".join(row["lines_b"]),  # type: ignore[arg-type]
        "far-own": lambda row, rng: far(row, [row], rng),
        "far-other": lambda row, rng: far(row, [o for o in data if o["repo"] != row["repo"]], rng),
        "competing": lambda row, rng: competing(
            row, [o for o in data if o["repo"] != row["repo"]], rng
        ),
        "redrawn": redrawn,
        "long-lines": long_lines,
    }
    print(f"{'transformation':16s}" + "".join(f"{name:>24s}" for name in reducers))
    for name, transform in transforms.items():
        if args.only and name not in args.only:
            continue
        hits = dict.fromkeys(reducers, 0)
        started = time.perf_counter()
        for i, row in enumerate(data):
            log = transform(row, random.Random(i))
            for reducer, reduce_fn in reducers.items():
                hits[reducer] += all(found(row["labels"], reduce_fn(log)))  # type: ignore[arg-type]
        cells = "".join(
            f"{f'{h}/{len(data)} = {100 * h / len(data):.1f} %':>24s}" for h in hits.values()
        )
        print(f"{name:16s}{cells}   ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

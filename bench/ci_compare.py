"""Does comparing with a passing run put the labelled cause first? Constructed pairs.

For every labelled real log in ``../shared/data/ci-logs/`` (160 LogChunks logs, 10 GitHub
Actions logs) a *passing* log of the same job is made from the failing one: every line of
the labelled failure is removed (wherever it is printed, a repeat included), as are the
``##[error]`` annotations; Travis's exit lines say 0. Then what differs between two real
runs of one job is perturbed, with a seed per log:

* timestamps (the Actions prefix and any ``hh:mm:ss`` / ISO date in a line) are shifted;
* ids: UUIDs, hex hashes (7–64 digits) and numbers of five digits or more are redrawn;
* durations (``0.52s``, ``120 ms``, ``3m 2s``) are redrawn;
* parallel output is interleaved differently: 5 % of lines swap with one of the next three;
* 1 % of the other lines are missing (a retry, a download that was cached this time), so the
  failing log has new lines that are not the failure.

Measured: the share of logs whose *first ranked* error window holds a labelled line — its
error line itself ("hit") or any of its lines ("window") — with today's ranking and with the
comparison; the first three windows; and recall (every label in the 6k-token excerpt) for
both, so a better first place is not bought with a worse excerpt. Also the time to read the
passing log into a baseline.

    /work/venv/bin/python bench/ci_compare.py [--list-misses]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argusai.cilog.compare import Baseline, compare
from argusai.cilog.labels import chunk_lines, found, normalise_text
from argusai.cilog.normalize import clean_line
from argusai.cilog.rank import ranked
from argusai.cilog.reduce import CHUNK_BYTES, DEFAULT_BUDGET, select
from argusai.cilog.scan import ScanResult, Window, scan
from argusai.core.tokens import count_tokens

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ci-logs"

_GHA_TIME = re.compile(rb"^(\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", re.M)
_CLOCK = re.compile(rb"\b\d\d:\d\d:\d\d(?:\.\d+)?\b")
_UUID = re.compile(rb"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_HEX = re.compile(rb"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b")
_LONG_NUMBER = re.compile(rb"\b\d{5,}\b")
_DURATION = re.compile(rb"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds)\b")
_TRAVIS_EXIT = re.compile(rb"(exited with )[1-9]\d*")


@dataclass(frozen=True, slots=True)
class Case:
    """A labelled failing log and the passing log made from it."""

    set: str
    name: str
    failing: bytes
    labels: list[str]


def cases() -> list[Case]:
    """Every labelled real log."""
    out: list[Case] = []
    subset = SHARED / "logchunks" / "subset.jsonl"
    for line in subset.read_text().splitlines() if subset.exists() else []:
        row = json.loads(line)
        data = (SHARED / "logchunks" / row["log"]).read_bytes()
        out.append(Case("logchunks", row["log"], data, chunk_lines(row["chunk"])))
    for labels in sorted((SHARED / "gha-actions").glob("*.labels.json")):
        must = json.loads(labels.read_text())["must_contain"]
        log = labels.with_name(labels.name.replace(".labels.json", ".log"))
        out.append(
            Case("gha-actions", log.name, log.read_bytes(), [normalise_text(m) for m in must])
        )
    return out


def _is_label(raw: bytes, labels: list[str]) -> bool:
    text = normalise_text(clean_line(raw.decode("utf-8", "replace")))
    if not text:
        return False
    return any(label in text or (len(text) > 8 and text in label) for label in labels)


def _redraw(rng: random.Random) -> Callable[[re.Match[bytes]], bytes]:
    """A replacement of the same shape: digits for digits, hex for hex."""

    def draw(m: re.Match[bytes]) -> bytes:
        out = bytearray(m.group(0))
        for i, c in enumerate(out):
            if 48 <= c <= 57:
                out[i] = 48 + rng.randrange(10)
            elif 97 <= c <= 102:
                out[i] = 97 + rng.randrange(6)
        return bytes(out)

    return draw


def passing_log(case: Case, seed: int, *, failure: bool = False, drop: float = 0.01) -> bytes:
    """The same job's log without its failure (``failure``: with it), perturbed as two runs
    differ."""
    rng = random.Random(seed)
    kept: list[bytes] = []
    for raw in case.failing.split(b"\n"):
        if not failure and (_is_label(raw, case.labels) or b"##[error]" in raw):
            continue
        if rng.random() < drop:
            continue  # printed by the failing run only, and not the failure
        kept.append(_TRAVIS_EXIT.sub(rb"\g<1>0", raw))
    for i in range(len(kept) - 1):  # parallel output interleaved differently
        if rng.random() < 0.05:
            j = min(len(kept) - 1, i + rng.randint(1, 3))
            kept[i], kept[j] = kept[j], kept[i]
    data = b"\n".join(kept)
    shift = rng.randint(60, 86_400)

    def new_time(m: re.Match[bytes]) -> bytes:
        bom = m.group(1) or b""
        stamp = m.group(0)[len(bom) :]
        h, mi, sec = int(stamp[11:13]), int(stamp[14:16]), int(stamp[17:19])
        secs = (h * 3600 + mi * 60 + sec + shift) % 86_400
        day = 1 + (int(stamp[8:10]) + shift // 86_400) % 28
        clock = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}".encode()
        return bom + stamp[:8] + f"{day:02d}".encode() + b"T" + clock + stamp[19:]

    def new_uuid(_m: re.Match[bytes]) -> bytes:
        return str(uuid.UUID(int=rng.getrandbits(128))).encode()

    def new_duration(_m: re.Match[bytes]) -> bytes:
        return f"{rng.uniform(0.01, 300):.2f}s".encode()

    data = _GHA_TIME.sub(new_time, data)
    for pattern in (_CLOCK, _HEX, _LONG_NUMBER):
        data = pattern.sub(_redraw(rng), data)
    data = _UUID.sub(new_uuid, data)
    return _DURATION.sub(new_duration, data)


def _scan(data: bytes) -> ScanResult:
    return scan(data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES))


def _holds(window: Window, labels: list[str], whole: bool) -> bool:
    text = "\n".join(window.lines) if whole else window.lines[window.hit - window.start]
    return any(found(labels, text))


@dataclass
class Tally:
    """Counts for one ranking."""

    hit: int = 0
    window: int = 0
    top3: int = 0
    recall: int = 0

    def add(self, order: list[Window], labels: list[str], excerpt: str) -> tuple[bool, bool]:
        """Count one case; (first window's line, first window) hold a label."""
        hit = bool(order) and _holds(order[0], labels, False)
        window = bool(order) and _holds(order[0], labels, True)
        self.hit += hit
        self.window += window
        self.top3 += any(_holds(w, labels, True) for w in order[:3])
        self.recall += all(found(labels, excerpt))
        return hit, window


def false_new() -> str:
    """Lines of the windows judged new against the same log perturbed, failure kept, no line
    dropped: only the perturbations differ, so every one is a mask that missed."""
    from argusai.cilog.compare import cleaned_lines

    judged = new = 0
    for n, case in enumerate(cases()):
        baseline = Baseline.of(passing_log(case, seed=n, failure=True, drop=0.0))
        result = _scan(case.failing)
        wanted = {x for w in result.windows for x in range(w.start, w.start + len(w.lines))}
        for line in cleaned_lines(case.failing, wanted).values():
            if line.strip():
                judged += 1
                new += not baseline.knows(line)
    return f"{pct(new, judged)} of the windows' lines judged new against a perturbed copy"


def pct(n: int, total: int) -> str:
    """'n/total = p %'."""
    return f"{n}/{total} = {100 * n / max(1, total):.1f} %"


def main() -> int:
    """Print the shares per set for today's ranking and with the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list-misses", action="store_true", help="name the logs missed")
    args = parser.parse_args()
    all_cases = cases()
    if not all_cases:
        print(f"no labelled logs under {SHARED}", file=sys.stderr)
        return 1
    sets = sorted({c.set for c in all_cases}, reverse=True)
    tallies: dict[tuple[str, str], Tally] = {}
    misses: dict[str, list[str]] = {"today": [], "compared": []}
    baseline_s = compare_s = 0.0
    passing_bytes = 0
    count: Callable[[str], int] = count_tokens
    for n, case in enumerate(all_cases):
        passing = passing_log(case, seed=n)
        passing_bytes += len(passing)
        started = time.perf_counter()
        baseline = Baseline.of(passing)
        baseline_s += time.perf_counter() - started
        for way in ("today", "compared"):
            result = _scan(case.failing)
            if way == "compared":
                started = time.perf_counter()
                compare(result, case.failing, baseline)
                compare_s += time.perf_counter() - started
            order = [w for _s, w in ranked(result)]
            excerpt = select(result, DEFAULT_BUDGET, count).excerpt
            for group in (case.set, "all"):
                first = tallies.setdefault((group, way), Tally()).add(order, case.labels, excerpt)
            if not first[1]:
                misses[way].append(case.name)
    print(f"masks: {false_new()}")
    print(f"{len(all_cases)} failing/passing pairs: does the first ranked window hold the cause?")
    columns = ("its line", "the window", "a top-3 window", "recall (6k)")
    print(f"{'set':14s}{'ranking':11s}" + "".join(f"{c:>22s}" for c in columns))
    for group in [*sets, "all"]:
        total = sum(1 for c in all_cases if group in ("all", c.set))
        for way in ("today", "compared"):
            t = tallies[(group, way)]
            print(
                f"{group:14s}{way:11s}{pct(t.hit, total):>22s}{pct(t.window, total):>22s}"
                f"{pct(t.top3, total):>22s}{pct(t.recall, total):>22s}"
            )
    mb = passing_bytes / 1e6
    print(
        f"\nbaseline from the passing logs: {mb:.1f} MB in {baseline_s:.2f} s "
        f"({mb / max(baseline_s, 1e-9):.1f} MB/s); re-ranking {compare_s:.2f} s in all"
    )
    if args.list_misses:
        for way, names in misses.items():
            print(f"\nfirst window misses, {way} ({len(names)}):")
            for name in names:
                print(f"  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Recall of labelled CI failure lines within the default budget, vs naive baselines."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from argusai.cilog.labels import chunk_lines, found, normalise_text
from argusai.cilog.reduce import DEFAULT_BUDGET, reduce_bytes
from argusai.core.tokens import count_tokens

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ci-logs"
OWN = ROOT / "tests" / "unit" / "cilog" / "data"


def labelled_logs() -> list[tuple[str, str, bytes, list[str]]]:
    """(set, name, log bytes, normalised labels) for every labelled log available."""
    out: list[tuple[str, str, bytes, list[str]]] = []
    subset = SHARED / "logchunks" / "subset.jsonl"
    if subset.exists():
        for line in subset.read_text().splitlines():
            row = json.loads(line)
            data = (SHARED / "logchunks" / row["log"]).read_bytes()
            out.append(("logchunks", row["log"], data, chunk_lines(row["chunk"])))
    for labels in sorted((SHARED / "gha-actions").glob("*.labels.json")):
        must = json.loads(labels.read_text())["must_contain"]
        log = labels.with_name(labels.name.replace(".labels.json", ".log"))
        out.append(("gha-actions", log.name, log.read_bytes(), [normalise_text(m) for m in must]))
    # Our own logs are small: each is set inside 3,000 lines of passing build output (and 40
    # after), as in tests/unit/cilog/test_reduce.py, so that the budget has something to cut.
    labels_file = OWN / "labels.json"
    if labels_file.exists():
        for name, must in json.loads(labels_file.read_text()).items():
            data = padding(3_000) + (OWN / name).read_bytes() + padding(40)
            out.append(("own", name, data, [normalise_text(m) for m in must]))
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


def main() -> int:
    """Print recall per set and method; list the logs ArgusAI misses."""
    logs = labelled_logs()
    methods: dict[str, Callable[[bytes], str]] = {
        "argus (6k tokens)": argus,
        "last 200 lines": last_lines,
        "last 24 KB": last_bytes,
    }
    count_tokens("warm up")
    sets = sorted({s for s, *_ in logs})
    print(f"{'method':20s}" + "".join(f"{s:>22s}" for s in sets) + f"{'all':>22s}")
    misses: list[str] = []
    for name, method in methods.items():
        row = f"{name:20s}"
        totals = [0, 0]
        started = time.perf_counter()
        for s in sets:
            hit = total = 0
            for set_name, log, data, labels in logs:
                if set_name != s:
                    continue
                ok = all(found(labels, method(data)))
                hit += ok
                total += 1
                if not ok and name.startswith("argus"):
                    misses.append(f"{s}: {log}")
            totals[0] += hit
            totals[1] += total
            row += f"{hit:>8d}/{total:<4d}{100 * hit / max(1, total):6.1f} % "
        row += f"{totals[0]:>8d}/{totals[1]:<4d}{100 * totals[0] / max(1, totals[1]):6.1f} %"
        print(row + f"   ({time.perf_counter() - started:.1f} s)")
    budget_ok = all(count_tokens(argus(d)) <= DEFAULT_BUDGET for _, _, d, _ in logs)
    print(f"every excerpt within {DEFAULT_BUDGET:,} tokens: {budget_ok}")
    held = [
        ok
        for _, log, _, _ in logs
        if log.startswith("LogChunks")
        for ok in [log not in {m.split(": ", 1)[1] for m in misses}]
    ]
    even, odd = held[0::2], held[1::2]
    print(
        f"LogChunks by subset.jsonl index (tuned on even, odd held out): even {sum(even)}/"
        f"{len(even)}, odd {sum(odd)}/{len(odd)}"
    )
    if misses:
        print("argus misses:\n  " + "\n  ".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())

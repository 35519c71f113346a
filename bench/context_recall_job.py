"""Context recall as the worker gets it: fetch_context over HTTP against a fake GitHub.

Same corpus, budget and matching as ``context_recall.py``, but the index is what
:func:`argusai.review.context_files.fetch_context` reads from the repository: the fake
GitHub (loopback HTTP, the real githubkit client and App auth) serves each case's full head
tree (``snapshot.json`` ``head.tree``, real ids and sizes) and, as blobs by id, the texts the
corpus ships (every changed file and every file holding a needed item; any other blob is a
404, so a request spent on it finds nothing, as a request for a file without the name would).

Two passes over the 35 cases with one on-disk blob cache: the first cold, the second with a
fresh process-level tree index (as another worker process would start) but the blob cache
the first filled. Reported: definitions and enclosing scopes that reach the prompt, tokens
against the hunk-only prompt, GitHub requests (trees, blobs) and blob-cache hits per pass.

``--latency S`` makes the fake answer every request S seconds late (GitHub's API answers in
about 0.1–0.3 s); the cold pass then runs twice, with blobs fetched one at a time (the
baseline, ``FETCH_THREADS = 1``) and as shipped, and the wall time of each is printed with
their ratio.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import structlog

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from tests.fakes.fake_github import FakeGitHub  # noqa: E402
from tests.fakes.keys import generate_rsa_keypair  # noqa: E402

from argusai.core.tokens import count_tokens  # noqa: E402
from argusai.github.app import GitHubApp  # noqa: E402
from argusai.github.blobs import DiskBlobCache  # noqa: E402
from argusai.review import context_files  # noqa: E402
from argusai.review.context.budget import SEPARATOR, assemble  # noqa: E402
from argusai.review.context.gather import gather  # noqa: E402
from argusai.review.context.symbols import SymbolIndex  # noqa: E402
from argusai.review.diff import parse_patch  # noqa: E402
from argusai.review.gitdiff import parse_unified_diff  # noqa: E402
from argusai.settings import Settings  # noqa: E402
from context_recall import CORPUS, found  # noqa: E402

APP_ID, INSTALLATION = 77, 7


def _load(fake: FakeGitHub, cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = {}
    for case in cases:
        owner, name = case["source"].split("/")
        folder = CORPUS / "cases" / f"{name}__{case['sha'][:12]}"
        snapshot = json.loads((folder / "snapshot.json").read_text())
        head = snapshot["head"]
        if (owner.lower(), name.lower()) not in fake._repos:
            fake.add_repo(owner, name, installation_id=INSTALLATION)
        fake.set_tree(owner, name, head["commit"], head["tree"], sha=head["tree_sha"])
        for text in head["files"].values():
            fake.add_blob(owner, name, text)
        loaded[case["sha"]] = {
            "owner": owner,
            "name": name,
            "patch": (folder / "diff.patch").read_text(),
            "meta": json.loads((folder / "meta.json").read_text()),
            "head": head["files"],
        }
    return loaded


def _pass(
    fake: FakeGitHub, app: GitHubApp, loaded: dict[str, dict[str, Any]], cache: DiskBlobCache
) -> dict[str, Any]:
    budget = Settings.model_fields["llm_context_tokens"].default
    gh = app.for_installation(INSTALLATION)
    fake.clear_requests()
    before = fake.route_counts()
    hits_before = cache.hits
    tally: Counter[str] = Counter()
    tokens_ctx = tokens_diff = 0
    notes = 0
    worst = fetching = 0.0
    for sha, case in loaded.items():
        files = parse_unified_diff(case["patch"])
        started = time.perf_counter()
        ctx = context_files.fetch_context(
            gh, case["owner"], case["name"], sha, files, [f.path for f in files], blobs=cache
        )
        worst = max(worst, time.perf_counter() - started)
        fetching += time.perf_counter() - started
        notes += len(ctx.notes)
        index = ctx.index or SymbolIndex.build({})
        diffs = [parse_patch(f.path, f.patch) for f in files]
        got = gather(diffs, index)
        diff_tokens = count_tokens(case["patch"])
        meta = case["meta"]
        assembled = assemble(
            diff_tokens=diff_tokens,
            budget=budget,
            scopes=got.scopes,
            definitions=got.definitions,
            intent=f"{meta['title']}\n\n{meta['body']}",
        )
        prompt = case["patch"] + SEPARATOR + assembled.render()
        tokens_ctx += count_tokens(prompt)
        tokens_diff += diff_tokens
        for item in meta["needed"]:
            kind = item["kind"]
            hit = found(item, prompt, case["head"][item["path"]])
            tally[f"{kind}:hit"] += hit
            tally[f"{kind}:all"] += 1
            if kind == "definition":
                where = "changed" if item["path"] in {f.path for f in files} else "untouched"
                tally[f"definition:{where}:hit"] += hit
                tally[f"definition:{where}:all"] += 1
    after = fake.route_counts()
    blob_404 = sum(1 for r in fake.requests("GET", "/repos/*/git/blobs/*") if r.status == 404)
    return {
        "tally": tally,
        "tokens": (tokens_ctx, tokens_diff),
        "trees": after["get_tree"] - before["get_tree"],
        "blobs": after["get_blob"] - before["get_blob"],
        "blob_404": blob_404,
        "hits": cache.hits - hits_before,
        "notes": notes,
        "worst_s": worst,
        "fetch_s": fetching,
    }


def _share(tally: Counter[str], key: str) -> str:
    hit, total = tally[f"{key}:hit"], tally[f"{key}:all"]
    return f"{100 * hit / total:5.1f} % ({hit}/{total})" if total else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per fake request")
    args = parser.parse_args()
    if not (CORPUS / "cases" / "index.json").exists():
        print(f"skipped: {CORPUS} is absent (the context corpus lives next to the checkout)")
        return 0
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    count_tokens("warm up the vocabulary")
    cases = json.loads((CORPUS / "cases" / "index.json").read_text())
    private_pem, public_pem = generate_rsa_keypair()
    shipped = context_files.FETCH_THREADS
    runs: list[tuple[str, dict[str, Any]]] = []
    with (
        FakeGitHub(app_id=APP_ID, public_key_pem=public_pem) as fake,
        GitHubApp(APP_ID, private_pem, base_url=fake.base_url) as app,
        tempfile.TemporaryDirectory() as tmp,
    ):
        loaded = _load(fake, cases)
        _pass(fake, app, loaded, DiskBlobCache(Path(tmp) / "warm-up"))  # token, connections
        fake.latency = args.latency
        if args.latency:
            context_files.FETCH_THREADS = 1
            context_files._TREES.clear()
            baseline = _pass(fake, app, loaded, DiskBlobCache(Path(tmp) / "sequential"))
            runs.append(("first pass (cold cache), blobs one at a time", baseline))
            context_files.FETCH_THREADS = shipped
        cache = DiskBlobCache(Path(tmp) / "blobs")
        context_files._TREES.clear()
        runs.append(
            (f"first pass (cold cache), {shipped} blobs at a time", _pass(fake, app, loaded, cache))
        )
        context_files._TREES.clear()  # another worker process: only the disk cache is shared
        runs.append(("second pass (warm cache)", _pass(fake, app, loaded, cache)))
    n = len(cases)
    print(f"fake GitHub latency: {args.latency:.3f} s per request")
    for label, run in runs:
        t = run["tally"]
        ctx, diff = run["tokens"]
        print(f"{label}, {n} cases:")
        print(f"  definitions in the prompt:      {_share(t, 'definition')}")
        print(f"    in a changed file:            {_share(t, 'definition:changed')}")
        print(f"    in a file the diff leaves:    {_share(t, 'definition:untouched')}")
        print(f"  enclosing scopes in the prompt: {_share(t, 'enclosing')}")
        print(f"  prompt tokens: {ctx / n:,.0f} vs {diff / n:,.0f} hunk-only ({ctx / diff:.2f}×)")
        print(
            f"  GitHub requests: {run['trees']} trees, {run['blobs']} blobs "
            f"({run['blobs'] / n:.1f} per PR): {run['blobs'] - run['blob_404']} served, "
            f"{run['blob_404']} 404 (files the corpus does not ship); "
            f"blob-cache hits {run['hits']}"
        )
        print(
            f"  notes in summaries: {run['notes']}; fetch_context {run['fetch_s']:.2f} s in all, "
            f"{run['fetch_s'] / n:.2f} s per PR, slowest {run['worst_s']:.2f} s"
        )
    if args.latency:
        ratio = runs[0][1]["fetch_s"] / max(runs[1][1]["fetch_s"], 1e-9)
        print(f"cold fetch_context, one blob at a time / as shipped: {ratio:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())

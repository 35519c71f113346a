"""Scout crawl benchmark: first and second crawl of the 222 listed repositories.

FakeGitHub on loopback answers every request after ``--latency`` seconds (100 ms).
Prints requests, 304 share, items queued (each one would be an LLM call), the most
requests in flight, and wall time against 2 × (requests × latency / max in flight).

    .venv/bin/python bench/scout_crawl.py [--latency 0.1] [--data ../shared/...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_settings  # noqa: E402
from tests.fakes.fake_github import FakeGitHub  # noqa: E402
from tests.fakes.fake_github_scout import seed_listed_repos  # noqa: E402
from tests.fakes.keys import generate_rsa_keypair  # noqa: E402
from tests.support import make_runtime  # noqa: E402

from argusai.scout.auth import CrawlIdentity  # noqa: E402
from argusai.scout.crawl import run_crawl  # noqa: E402
from argusai.scout.crawl_env import CrawlEnv  # noqa: E402
from argusai.scout.sources.awesome import parse_awesome_data  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "awesome-for-beginners" / "data.json"
PAT = "ghp_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"{args.data} absent: the shared data sits beside the checkout")
        return 2
    text = args.data.read_text()
    labels = {r.full_name: r.label for r in parse_awesome_data(text).repos}
    _, public = generate_rsa_keypair()
    ok = True
    with FakeGitHub(app_id=1, public_key_pem=public) as gh, tempfile.TemporaryDirectory() as tmp:
        gh.add_personal_token(PAT)
        repos = seed_listed_repos(gh, text, label_of=lambda full: labels[full])
        settings = make_settings(Path(tmp), github_api_url=gh.base_url, scout_github_token=PAT)
        rt = make_runtime(settings)
        queued: list[tuple[str, int, int]] = []
        env = CrawlEnv(
            db=rt.db,
            settings=settings,
            identity=CrawlIdentity(settings, None),
            enqueue=lambda k, i, p: queued.append((k, i, p)),
        )
        gh.latency = args.latency
        slots = settings.scout_max_in_flight
        print(
            f"{len(repos)} repositories, latency {args.latency * 1000:.0f} ms, "
            f"max in flight {slots}"
        )
        for name in ("first", "second"):
            queued.clear()
            gh.reset_flight()
            started = time.perf_counter()
            report = run_crawl(env, unlimited=True)
            wall = time.perf_counter() - started
            target = 2 * report.requests * args.latency / slots
            share = report.not_modified / report.requests if report.requests else 0.0
            print(
                f"{name:6} crawl: {report.requests} requests, {share:.1%} answered 304, "
                f"{len(queued)} items queued (LLM calls), max in flight {gh.max_in_flight}, "
                f"wall {wall:.2f} s (target ≤ {target:.2f} s)"
            )
            if name == "first":
                ok &= gh.max_in_flight <= slots and wall <= target
            else:
                ok &= share >= 0.9 and not queued
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

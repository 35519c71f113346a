"""Fault soak: the load of ``bench/load.py`` on 2 web + 2 workers (PostgreSQL + Redis)
while a worker is SIGKILLed every ``--kill-every`` seconds (and a new one started at once)
and the fake LLM answers 500 to ``--llm-error-rate`` of its requests.

A killed worker's in-flight reviews hold leases that nobody extends any more; once a lease
runs out (``ARGUS_JOB_LEASE_SECONDS``, ``--lease``) the sweeper of a live worker
(``ARGUS_SWEEPER_INTERVAL_SECONDS``, ``--sweep``) dispatches them again. LLM 500s are
retried by the LLM client, then by the job's retry budget. The claim: lost = 0 and
duplicated = 0.

Run:  .venv/bin/python bench/fault_soak.py [--count 2000] [--rate 200] [--kill-every 30]
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from tests.fakes.fake_llm import Reply  # noqa: E402

from load import (  # noqa: E402
    FINDING,
    Cluster,
    Figures,
    add_common_options,
    deployment,
    fakes,
    print_table,
    run_load,
)


class Killer:
    """Every ``every`` seconds SIGKILL the oldest live worker and start a new one."""

    def __init__(self, cluster: Cluster, every: float) -> None:
        self.cluster, self.every = cluster, every
        self.kills = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="killer", daemon=True)

    def __enter__(self) -> Killer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            live = [w for w in self.cluster.workers if w.poll() is None]
            if not live:
                continue
            victim = live[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            self.kills += 1
            self.cluster.worker()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_common_options(parser, 2000)
    parser.add_argument("--kill-every", type=float, default=30.0, help="seconds between kills")
    parser.add_argument("--llm-error-rate", type=float, default=0.10, help="share of LLM 500s")
    parser.add_argument("--lease", type=int, default=15, help="ARGUS_JOB_LEASE_SECONDS")
    parser.add_argument("--sweep", type=int, default=5, help="ARGUS_SWEEPER_INTERVAL_SECONDS")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.workers = 2
    rng = random.Random(args.seed)
    rng_lock = threading.Lock()
    answered = {"ok": 0, "500": 0}

    def responder(_req: dict[str, Any]) -> Any:
        with rng_lock:
            fail = rng.random() < args.llm_error_rate
            answered["500" if fail else "ok"] += 1
        if fail:
            return Reply.error(500)
        return {"summary": "One risky call.", "findings": [FINDING]}

    secret = uuid.uuid4().hex
    extra = {
        "ARGUS_JOB_LEASE_SECONDS": str(args.lease),
        "ARGUS_SWEEPER_INTERVAL_SECONDS": str(args.sweep),
    }
    numbers = range(1, args.count + 1)
    label = "fault soak: 2 web + 2 workers (PG + Redis), kills + LLM 500s"
    with fakes(args.repos, args.llm_latency, responder) as f:
        f.add_prs(numbers)
        print(f"running {label} …", flush=True)
        started = time.monotonic()
        with (
            deployment("scaled", f, secret, args, extra) as cluster,
            Killer(cluster, args.kill_every) as killer,
        ):
            fig: Figures = run_load(label, cluster, f, secret, args, numbers)
            kills = killer.kills
        elapsed = time.monotonic() - started
    fig.notes.append(
        f"{kills} workers SIGKILLed in {elapsed:.0f} s (one every {args.kill_every:g} s); "
        f"LLM answered {answered['500']} × 500 and {answered['ok']} × 200 "
        f"({answered['500'] / max(1, sum(answered.values())) * 100:.1f} % errors); "
        f"lease {args.lease} s, sweeper every {args.sweep} s"
    )
    print_table([fig], args)
    print(f"\nlost = 0? {'yes' if fig.lost == 0 else f'NO ({fig.lost})'}")
    print(f"duplicated = 0? {'yes' if fig.duplicated == 0 else f'NO ({fig.duplicated})'}")
    return 0 if fig.lost == 0 and fig.duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

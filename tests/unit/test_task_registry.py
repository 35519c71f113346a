"""A worker process declares every task the web process or a schedule may enqueue."""

from pathlib import Path

from argusai.jobs.queue import create_huey
from argusai.jobs.runtime import Runtime
from argusai.jobs.tasks import register_tasks
from tests.conftest import make_settings
from tests.support import make_runtime


def test_worker_registers_every_task(tmp_path: Path) -> None:
    rt: Runtime = make_runtime(make_settings(tmp_path))
    huey = create_huey(f"sqlite:///{tmp_path / 'q.db'}")
    register_tasks(huey, lambda: rt)
    names = {name.rsplit(".argus.", 1)[-1] for name in huey._registry._registry}
    assert names >= {
        "review",
        "redeliver_failed",
        "ci_run",
        "ci_run_sweep",
        "ci_analysis",
        "ci_analysis_sweep",
        "ci_callback",
        "scout.process",
        "scout.sweep",
        "scout.crawl",
        "scout.continue",
    }

"""A worker process declares every task the web process or a schedule may enqueue."""

from pathlib import Path

from argusai.app import register_tasks
from argusai.runtime import Runtime
from tests.conftest import make_settings
from tests.support import make_runtime


def test_worker_registers_every_task(tmp_path: Path) -> None:
    rt: Runtime = make_runtime(make_settings(tmp_path))
    queue = register_tasks(rt)
    names = {name.rsplit(".argus.", 1)[-1] for name in rt.huey._registry._registry}
    assert names == {"work", "redeliver_failed", "ci_callback", "scout.crawl", "scout.continue"} | {
        "retention",
        "notify.dead_letters",
        "stats_rollup",
    }
    assert queue.registry.names() == [
        "analysis",
        "ci_run",
        "command",
        "notification",
        "review",
        "scout_issue",
        "scout_repository",
    ]

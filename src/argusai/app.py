"""The composition root: the runtime, the work queue with every kind, the tasks.

Only this module (and the entry points: CLI, web app, worker) knows every feature; the
features never import it back.
"""

from __future__ import annotations

from collections.abc import Callable

from huey import Huey

from argusai.core.router import Router
from argusai.core.secrets import EMPTY_REDACTOR, Redactor
from argusai.errors import GitHubRateLimited
from argusai.github.blobs import BlobCache
from argusai.github.port import GitHubAppClient
from argusai.llm.breaker import CircuitOpenError
from argusai.llm.port import LLMClient
from argusai.runtime import Runtime
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.telemetry.metrics import work_observer
from argusai.telemetry.sentry import capture as capture_crash
from argusai.workq.kinds import Registry
from argusai.workq.queue import WorkQueue, bind_queue
from argusai.workq.runner import QueuePolicy


def queue_policy(settings: Settings) -> QueuePolicy:
    """The one retry/lease policy of every kind, from the settings."""
    return QueuePolicy(
        lease_seconds=settings.job_lease_seconds,
        max_retries=settings.job_max_retries,
        retry_delay_seconds=settings.job_retry_delay_seconds,
        redispatch_after_seconds=settings.redispatch_after_seconds,
        waits=(GitHubRateLimited, CircuitOpenError),
        # metrics of every run; for these kinds also the time from the request to done
        observe=work_observer(("review", "ci_run", "analysis", "command")),
        report=capture_crash,
    )


def work_kinds(rt: Runtime) -> Registry:
    """Every kind of work ArgusAI does, with its handler."""
    from argusai.ci.kind import ci_run_kind
    from argusai.ciapi.kind import analysis_kind
    from argusai.ciapi.tasks import register_callback_task
    from argusai.notify.kind import notification_kind
    from argusai.review.conversation.kind import command_kind
    from argusai.review.kind import review_kind
    from argusai.scout.process_kind import scout_kinds

    def get_runtime() -> Runtime:
        return rt

    send_callback = register_callback_task(rt.huey, get_runtime)
    registry = Registry()
    registry.add(review_kind(get_runtime))
    registry.add(command_kind(get_runtime))
    registry.add(ci_run_kind(get_runtime))
    registry.add(analysis_kind(get_runtime, lambda analysis_id: send_callback(analysis_id, 0)))
    for kind in scout_kinds(get_runtime):
        registry.add(kind)
    registry.add(notification_kind(get_runtime))
    return registry


def build_queue(rt: Runtime) -> WorkQueue:
    """The work queue of ``rt`` (its Huey's one task runs messages through it)."""
    from argusai.notify.deadletters import dead_letter_listener

    queue = WorkQueue(
        rt.huey,
        rt.db,
        work_kinds(rt),
        queue_policy(rt.settings),
        listeners=(dead_letter_listener(rt),),  # a dead letter of any kind is notified
    )
    bind_queue(rt.huey, lambda: rt.queue)
    return queue


def make_runtime(
    settings: Settings,
    db: Database,
    huey: Huey,
    github: Callable[[], GitHubAppClient],
    llm: Callable[[], LLMClient],
    *,
    redactor: Redactor = EMPTY_REDACTOR,
    verify_llm: Callable[[], LLMClient] | None = None,
    blobs: Callable[[], BlobCache] | None = None,
    model_llm: Callable[[Settings], LLMClient] | None = None,
) -> Runtime:
    """A runtime from already-built parts (tests hand in fakes); the blob cache defaults to
    ``data_dir/blobs``."""
    return Runtime(
        settings=settings,
        db=db,
        huey=huey,
        github_factory=github,
        llm_factory=llm,
        queue_factory=build_queue,
        redactor=redactor,
        verify_llm_factory=verify_llm,
        blobs_factory=blobs,
        model_llm_factory=model_llm,
    )


def build_runtime(settings: Settings, *, immediate: bool = False) -> Runtime:
    """Wire the real adapters from settings (GitHub and LLM clients on first use)."""
    from argusai.logs import settings_secrets
    from argusai.workq.huey import create_huey

    def github() -> GitHubAppClient:
        from argusai.github.app import GitHubApp

        return GitHubApp.from_settings(settings)

    def llm() -> LLMClient:
        from argusai.llm.factory import build_llm

        return build_llm(settings)

    def verify_llm() -> LLMClient:
        from argusai.llm.factory import build_llm

        return build_llm(settings, model=settings.llm_verify_model)

    def model_llm(other: Settings) -> LLMClient:
        from argusai.llm.factory import build_llm

        return build_llm(other)

    return make_runtime(
        settings,
        Database(settings.resolved_database_url()),
        create_huey(settings.resolved_queue_url(), immediate=immediate),
        github,
        llm,
        # never post these, even if an LLM is talked into repeating them
        redactor=Redactor.of(settings_secrets(settings)),
        verify_llm=verify_llm if settings.llm_verify_model else None,
        model_llm=model_llm,
    )


def register_tasks(rt: Runtime) -> WorkQueue:
    """Declare every task on ``rt.huey`` as a worker needs them: the work queue's one task,
    the analysis callbacks, the periodic maintenance, the scout crawl. Returns the queue."""
    from argusai.deliveries.maintenance import register_maintenance
    from argusai.notify.deadletters import register_notify_tasks
    from argusai.retention.task import register_retention
    from argusai.scout.tasks import register_scout_tasks
    from argusai.stats.tasks import register_stats_tasks

    queue = rt.queue
    register_maintenance(rt.huey, lambda: rt)
    register_retention(rt.huey, lambda: rt)  # the hourly cleanup (ARGUS_RETENTION_*)
    register_scout_tasks(rt.huey, lambda: rt)
    register_stats_tasks(rt.huey, lambda: rt)  # the daily rollup (review_metrics), hourly
    register_notify_tasks(rt.huey, lambda: rt)
    return queue


def build_router(settings: Settings) -> Router:
    """Every feature's webhook handlers: what each event means, and to whom."""
    from argusai.ci.events import workflow_run
    from argusai.deliveries.installations import INSTALLATION_EVENTS, installation
    from argusai.limits.policy import limits_for
    from argusai.review.events import check_run_rerequested, pull_request_handler

    router = Router()
    for event in INSTALLATION_EVENTS:  # always recorded: who installed the App, where
        router.on(event, installation)
    router.on(
        "pull_request",
        pull_request_handler(
            enabled=settings.review_enabled_events,
            review_drafts=settings.review_drafts,
            webhook_delay=limits_for(settings).webhook_delay,
        ),
    )
    router.on("check_run", check_run_rerequested)  # "Re-run" on the ArgusAI review check
    if settings.commands_enabled:  # talking to ArgusAI in the PR (review.conversation)
        from argusai.review.conversation import events as talk

        slug = settings.github_app_slug
        router.on("issue_comment", talk.issue_comment_handler(slug=slug))
        router.on("pull_request_review_comment", talk.review_comment_handler(slug=slug))
        router.on("pull_request_review_thread", talk.review_thread)
        router.on("pull_request", talk.pull_request_closed)  # read the findings' outcomes
    if settings.ci_enabled:  # whatever ARGUS_REVIEW_ENABLED_EVENTS says
        router.on("workflow_run", workflow_run)
    return router

"""``POST /webhooks/github``: verify, record once, enqueue, answer 202 — no GitHub or LLM call."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from argusai.asgi.bodies import BodyTimeout, BodyTooLarge, read_body
from argusai.ci import runs
from argusai.ci.kind import CI_RUN
from argusai.limits.policy import limits_for
from argusai.review import items as workitems
from argusai.review.kind import REVIEW
from argusai.web import signature
from argusai.web.events import Routed, route
from argusai.web.state import AppState

log = structlog.get_logger(__name__)
router = APIRouter()


# a JSON escape of a UTF-16 surrogate: valid in pairs (decoded to one character), but a
# lone one decodes to a str that cannot be encoded (and stored) as UTF-8
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(body: bytes, payload: dict[str, Any]) -> bool:
    """True when a key or string of the payload holds a lone surrogate.

    Only walked when the body has such an escape; iteratively, so depth costs no stack.
    """
    if _SURROGATE_ESCAPE.search(body) is None:
        return False
    stack: list[object] = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _answer(
    status: int, outcome: str, state: AppState, started: float, **extra: Any
) -> JSONResponse:
    state.metrics.observe_delivery(outcome, time.perf_counter() - started)
    return JSONResponse({"status": outcome, **extra}, status_code=status)


class Answer(BaseModel):
    """What the webhook answers; by outcome also reason, review_id, ci_run_id, missing, …"""

    model_config = ConfigDict(extra="allow")
    status: str = Field(description="queued, ignored, duplicate, pong, or the refusal")
    detail: str | None = None


_ANSWERS: dict[int | str, dict[str, Any]] = {
    code: {"model": Answer, "description": text}
    for code, text in (
        (200, "A ping, or a delivery already recorded (duplicate)."),
        (202, "Recorded: work queued, or ignored with the reason."),
        (400, "Missing or over-long headers, a body that is not a JSON object or not UTF-8."),
        (401, "Missing or invalid X-Hub-Signature-256."),
        (413, "Body over ARGUS_MAX_WEBHOOK_BYTES."),
        (503, "Not configured yet, or the database is unavailable (GitHub may redeliver)."),
    )
}


@router.post(
    "/webhooks/github",
    response_model=Answer,
    responses=_ANSWERS,
    summary="GitHub webhook receiver",
)
async def github_webhook(request: Request) -> JSONResponse:
    """Receive one GitHub delivery."""
    state: AppState = request.app.state.argus
    started = time.perf_counter()
    settings = state.settings
    missing = settings.missing_for_webhooks()
    if missing:
        return _answer(
            503,
            "not_configured",
            state,
            started,
            detail="ArgusAI is not configured to accept webhooks yet",
            missing=missing,
        )

    limit = settings.max_webhook_bytes
    length = request.headers.get("content-length")
    if length is not None and not length.isdigit():
        return _answer(413, "too_large", state, started, detail=f"body over {limit} bytes")
    try:
        body = await read_body(request, limit, settings.http_body_timeout_seconds)
    except BodyTooLarge:
        return _answer(413, "too_large", state, started, detail=f"body over {limit} bytes")
    except BodyTimeout as exc:
        return _answer(408, "body_timeout", state, started, detail=str(exc))

    secret = settings.github_webhook_secret
    assert secret is not None  # checked by missing_for_webhooks
    if not signature.verify(
        secret.get_secret_value(), bytes(body), request.headers.get("x-hub-signature-256")
    ):
        return _answer(
            401, "bad_signature", state, started, detail="missing or invalid X-Hub-Signature-256"
        )

    event = request.headers.get("x-github-event", "")
    delivery_id = request.headers.get("x-github-delivery", "")
    if not event or not delivery_id or len(delivery_id) > 64 or len(event) > 64:
        return _answer(
            400,
            "bad_headers",
            state,
            started,
            detail="X-GitHub-Event and X-GitHub-Delivery (≤ 64 chars) are required",
        )
    try:
        payload = json.loads(bytes(body))
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is bad input too
        return _answer(400, "bad_json", state, started, detail="body is not valid JSON")
    if not isinstance(payload, dict):
        return _answer(400, "bad_json", state, started, detail="body must be a JSON object")
    if _has_lone_surrogate(body, payload):
        return _answer(400, "bad_text", state, started, detail="payload is not valid UTF-8 text")

    bound = log.bind(delivery_id=delivery_id, event=event, action=payload.get("action"))
    if event == "ping":
        bound.info("ping received")
        return _answer(200, "pong", state, started)

    routed = route(
        event,
        payload,
        enabled=settings.review_enabled_events,
        review_drafts=settings.review_drafts,
        ci_enabled=settings.ci_enabled,
    )
    if routed.ci is not None:
        return await _accept_ci(state, started, delivery_id, event, routed, bound)
    try:
        accepted, delay = await run_in_threadpool(_record, state, delivery_id, event, routed)
    except SQLAlchemyError as exc:
        bound.error("database unavailable; delivery refused", error=type(exc).__name__)
        return _answer(503, "unavailable", state, started, detail="database unavailable")
    bound = bound.bind(installation_id=routed.installation_id, repo=routed.repo_name)
    if accepted.duplicate:
        bound.info("duplicate delivery ignored")
        return _answer(200, "duplicate", state, started)
    if routed.review is None:
        bound.info("delivery ignored", reason=routed.ignored_reason)
        return _answer(202, "ignored", state, started, reason=routed.ignored_reason)
    if accepted.review_id is None:
        bound.info("head already queued or reviewed", pr=routed.review.pr_number)
        return _answer(202, "ignored", state, started, reason="this head is already reviewed")
    if delay > 0:
        bound.info(
            "review queued with a delay: repository over its webhook rate limit",
            pr=routed.review.pr_number,
            job_id=accepted.review_id,
            delay=round(delay, 1),
        )
        return _answer(
            202,
            "queued",
            state,
            started,
            review_id=accepted.review_id,
            delay_seconds=round(delay, 1),
        )
    bound.info("review queued", pr=routed.review.pr_number, job_id=accepted.review_id)
    return _answer(202, "queued", state, started, review_id=accepted.review_id)


async def _accept_ci(
    state: AppState, started: float, delivery_id: str, event: str, routed: Routed, bound: Any
) -> JSONResponse:
    """Record a ``workflow_run`` delivery with its CI run, enqueue it, answer."""
    assert routed.ci is not None
    try:
        accepted = await run_in_threadpool(_record_ci, state, delivery_id, event, routed)
    except SQLAlchemyError as exc:
        bound.error("database unavailable; delivery refused", error=type(exc).__name__)
        return _answer(503, "unavailable", state, started, detail="database unavailable")
    bound = bound.bind(installation_id=routed.installation_id, repo=routed.repo_name)
    if accepted.duplicate:
        bound.info("duplicate delivery ignored")
        return _answer(200, "duplicate", state, started)
    if accepted.ci_run_id is None:
        reason = "this run attempt is already recorded"
        bound.info("delivery ignored", reason=reason, run_id=routed.ci.run_id)
        return _answer(202, "ignored", state, started, reason=reason)
    bound.info("ci run queued", run_id=routed.ci.run_id, job_id=f"ci:{accepted.ci_run_id}")
    return _answer(202, "queued", state, started, ci_run_id=accepted.ci_run_id)


def _record_ci(state: AppState, delivery_id: str, event: str, routed: Routed) -> runs.CIAccepted:
    assert routed.ci is not None
    accepted = runs.record_delivery(
        state.runtime.db,
        delivery_id=delivery_id,
        event=event,
        action=routed.action,
        request=routed.ci,
    )
    if accepted.ci_run_id is not None:
        state.runtime.queue.dispatch(CI_RUN, accepted.ci_run_id, recorded=True)
    return accepted


def _record(
    state: AppState, delivery_id: str, event: str, routed: Routed
) -> tuple[workitems.Accepted, float]:
    # one limiter call, only for deliveries that create work; over the limit the work is
    # delayed (never dropped): the item starts later and its queue message is scheduled
    delay = 0.0
    if routed.review is not None:
        delay = limits_for(state.settings).webhook_delay(routed.review.repo_name)
    accepted = workitems.record_delivery(
        state.runtime.db,
        delivery_id=delivery_id,
        event=event,
        action=routed.action,
        installation_id=routed.installation_id,
        repo_name=routed.repo_name,
        request=routed.review,
        installation=routed.installation_change,
        delay=delay,
    )
    if accepted.review_id is not None:
        state.runtime.queue.dispatch(REVIEW, accepted.review_id, delay, recorded=True)
    return accepted, delay

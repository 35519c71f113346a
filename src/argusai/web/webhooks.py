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
from argusai.core.router import Delivery
from argusai.deliveries.record import record
from argusai.web import signature
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

    delivery = Delivery(event=event, delivery_id=delivery_id, payload=payload)
    intents = state.router.intents(delivery)
    try:
        outcome = await run_in_threadpool(record, state.runtime.db, delivery, intents)
    except SQLAlchemyError as exc:
        bound.error("database unavailable; delivery refused", error=type(exc).__name__)
        return _answer(503, "unavailable", state, started, detail="database unavailable")
    first = intents[0] if intents else None
    bound = bound.bind(
        installation_id=first.installation_id if first else delivery.installation_id,
        repo=first.repo_name if first else delivery.repo_name,
    )
    if outcome.duplicate:
        bound.info("duplicate delivery ignored")
        return _answer(200, "duplicate", state, started)
    work = [w for r in outcome.recorded for w in r.work]
    if not work:
        reason = next((r.ignored for r in outcome.recorded if r.ignored), None) or (
            _unrouted(delivery, settings.review_enabled_events)
        )
        bound.info("delivery ignored", reason=reason)
        return _answer(202, "ignored", state, started, reason=reason)
    queue = state.runtime.queue
    for item in work:  # the rows say "dispatched": only a failure needs another write
        queue.dispatch(item.kind, item.item_id, item.delay, recorded=True)
    fields = {k: v for r in outcome.recorded for k, v in r.fields.items()}
    bound.info("work queued", **{w.kind: w.item_id for w in work}, delay=work[0].delay or None)
    return _answer(202, "queued", state, started, **fields)


def _unrouted(delivery: Delivery, enabled: tuple[str, ...]) -> str:
    """Why a delivery no handler took is ignored."""
    if delivery.key in enabled or delivery.event in enabled:
        return f"no handler for {delivery.key}"
    return f"event {delivery.key} is not enabled"

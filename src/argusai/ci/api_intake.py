"""Reading a log from a request: JSON or a raw/gzip upload, capped, validated (413/422)."""

from __future__ import annotations

import json
import zlib

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import Headers

from argusai.ci.api_guard import ApiError
from argusai.ci.api_models import AnalysisRequest
from argusai.ci.ssrf import UnsafeURL, check_url
from argusai.jobs.runtime import Runtime

MAX_METADATA_BYTES = 16 * 1024
JSON_SLACK = 64 * 1024  # escaping makes JSON bodies larger than the log they carry


async def read_capped(request: Request, cap: int) -> bytes:
    """The raw body, refusing (413) as soon as it passes ``cap`` bytes."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        raise ApiError(413, f"request body over the limit of {cap} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise ApiError(413, f"request body over the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip_capped(data: bytes, cap: int) -> bytes:
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib, auto-detected
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error:
        raise ApiError(400, "the body is not valid gzip") from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise ApiError(413, f"log over the limit of {cap} bytes once decompressed")
    return out


def parse(
    raw: bytes, headers: Headers, query: dict[str, str], cap: int
) -> tuple[bytes, AnalysisRequest | None]:
    """The log bytes and, for JSON, the validated request (422 naming the field)."""
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    gz = headers.get("content-encoding", "").lower() == "gzip" or raw[:2] == b"\x1f\x8b"
    if gz:
        raw = _gunzip_capped(raw, cap if ctype != "application/json" else 2 * cap + JSON_SLACK)
    if ctype == "application/json":
        try:
            req = AnalysisRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        data = req.logs.encode("utf-8", "surrogateescape")
        if req.metadata is not None and len(json.dumps(req.metadata)) > MAX_METADATA_BYTES:
            raise RequestValidationError(
                [
                    {
                        "type": "too_long",
                        "loc": ("body", "metadata"),
                        "msg": f"metadata over {MAX_METADATA_BYTES} bytes as JSON",
                        "input": None,
                    }
                ]
            )
    else:
        data = raw
        try:
            req = AnalysisRequest(
                logs="-",
                workflow_name=query.get("workflow_name"),
                callback_url=query.get("callback_url"),
            )
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
    if not data.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "logs"), "msg": "the log is empty", "input": None}]
        )
    if len(data) > cap:
        raise ApiError(413, f"log over the limit of {cap} bytes")
    return data, req


def check_callback(rt: Runtime, url: str) -> None:
    try:
        check_url(url, rt.settings.ci_callback_allowlist)
    except UnsafeURL as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "callback_url"),
                    "msg": str(exc),
                    "input": url,
                }
            ]
        ) from None

"""Reading a log from a request: JSON or a raw/gzip upload, capped, validated (413/422).

Every limit holds while the body is read and while it is decompressed: a gzip body is
inflated in slices, each call bounded by what is left under the limit, so a small body
that expands to gigabytes costs at most the limit (plus one byte) before the 413.
"""

from __future__ import annotations

import json
import zlib

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import Headers

from argusai.asgi.bodies import BodyTimeout, BodyTooLarge, read_body
from argusai.ciapi.guard import ApiError
from argusai.ciapi.schemas import AnalysisRequest
from argusai.egress.ssrf import UnsafeURL, check_url
from argusai.runtime import Runtime

MAX_METADATA_BYTES = 16 * 1024
#: a JSON body may exceed the log's limit by this much: the other fields (metadata up to
#: 16 KB, callback_url, workflow_name) and the quotes; the log itself counts as escaped
JSON_SLACK = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_SLICE = 64 * 1024  # compressed bytes fed to the inflater per call
_STEP = 1024 * 1024  # bytes it may produce per call: no single call makes a huge buffer


def body_limit(cap: int, is_json: bool) -> int:
    """The largest body (decompressed) accepted for a log limit of ``cap`` bytes."""
    return cap + JSON_SLACK if is_json else cap


async def read_capped(request: Request, cap: int, timeout: float) -> bytes:
    """The raw body: 413 as soon as it passes ``cap`` bytes, 408 past ``timeout`` seconds."""
    try:
        return await read_body(request, cap, timeout)
    except BodyTooLarge:
        raise ApiError(413, f"request body over the limit of {cap} bytes") from None
    except BodyTimeout as exc:
        raise ApiError(408, str(exc), {"Connection": "close"}) from None


class CappedInflater:
    """Gzip (or zlib) decompression that refuses (413) once more than ``cap`` bytes come out.

    ``produced`` never passes ``cap + 1``: each call to zlib is told how much may come out
    (at most 1 MB, and never more than what is left under the limit).
    Several gzip members one after the other (``cat a.gz b.gz``) are one stream.
    """

    def __init__(self, cap: int, what: str = "log") -> None:
        self.cap, self.what, self.produced = cap, what, 0
        self._z = zlib.decompressobj(wbits=47)  # gzip or zlib, auto-detected
        self._out = bytearray()

    def feed(self, data: bytes) -> None:
        """Inflate ``data`` (any length), sliced so no single call does unbounded work."""
        view = memoryview(data)
        for start in range(0, len(view), _SLICE):
            self._inflate(view[start : start + _SLICE])

    def _inflate(self, data: bytes | memoryview) -> None:
        while True:
            step = min(self.cap - self.produced + 1, _STEP)
            try:
                out = self._z.decompress(data, step)
            except zlib.error:
                raise ApiError(400, "the body is not valid gzip") from None
            self.produced += len(out)
            if self.produced > self.cap:
                raise ApiError(
                    413, f"{self.what} over the limit of {self.cap} bytes once decompressed"
                )
            self._out += out
            if self._z.eof:
                data = self._z.unused_data
                if not data.strip(b"\x00"):
                    return  # the end, or zero padding after it (gzip(1) tolerates that too)
                self._z = zlib.decompressobj(wbits=47)  # the next member
                continue
            data = self._z.unconsumed_tail
            if not data and len(out) < step:
                return  # all input used and nothing held back: zlib wants more
            # else: more input left, or output held back by ``step``: ask again

    def finish(self) -> bytearray:
        """The whole output; 400 when the stream stops before its end."""
        if not self._z.eof:
            raise ApiError(400, "the gzip body is truncated")
        return self._out


def _is_gzip(raw: bytes, headers: Headers) -> bool:
    encodings = {e.strip().lower() for e in headers.get("content-encoding", "").split(",")}
    return bool(encodings & {"gzip", "x-gzip"}) or raw[:2] == GZIP_MAGIC


def _decoded(raw: bytes, headers: Headers, limit: int, is_json: bool) -> bytes | bytearray:
    """The body, decompressed when it is gzip; 413 past ``limit`` either way."""
    what = "JSON body" if is_json else "log"
    hint = " (the log counts as escaped in JSON: send a larger one raw)" if is_json else ""
    if not _is_gzip(raw, headers):
        if len(raw) > limit:
            raise ApiError(413, f"{what} over the limit of {limit} bytes{hint}")
        return raw
    inflater = CappedInflater(limit, what)
    inflater.feed(raw)
    return inflater.finish()


def parse(
    raw: bytes, headers: Headers, query: dict[str, str], cap: int
) -> tuple[bytes, AnalysisRequest | None]:
    """The log bytes and, for JSON, the validated request (422 naming the field)."""
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = ctype == "application/json"
    body = _decoded(raw, headers, body_limit(cap, is_json), is_json)
    if is_json:
        try:
            req = AnalysisRequest.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        del body  # the decoded JSON is not needed past this point
        # the JSON parser refuses lone surrogates; "replace" keeps any other oddity a 4xx
        data = req.logs.encode("utf-8", "replace")
        if req.metadata is not None and len(json.dumps(req.metadata)) > MAX_METADATA_BYTES:
            raise RequestValidationError(
                [
                    {
                        "type": "too_long",
                        "loc": ("body", "metadata"),
                        "msg": f"metadata over {MAX_METADATA_BYTES} bytes as JSON",
                    }
                ]
            )
    else:
        data = bytes(body)
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
            [{"type": "missing", "loc": ("body", "logs"), "msg": "the log is empty"}]
        )
    if len(data) > cap:
        raise ApiError(413, f"log over the limit of {cap} bytes")
    return data, req


def check_callback(rt: Runtime, url: str) -> None:
    try:
        check_url(url, rt.settings.ci_callback_allowlist)
    except UnsafeURL as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "callback_url"), "msg": str(exc)}]
        ) from None

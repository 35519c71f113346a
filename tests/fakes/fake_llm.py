"""A fake LLM provider speaking real HTTP on 127.0.0.1, for tests and benchmarks.

It answers the OpenAI chat API (``POST …/chat/completions``: ``/chat/completions``,
``/v1/chat/completions``, ``/inference/chat/completions``, Azure's
``/openai/deployments/<d>/chat/completions``), the Anthropic messages API
(``POST /v1/messages``) and ``GET …/models``, so the real ``openai`` and
``anthropic`` SDKs (and ``build_llm``) can be pointed at it.

Usage::

    from tests.fakes.fake_llm import FakeLLMServer, Reply

    with FakeLLMServer() as fake:                 # ephemeral port, background thread
        fake.enqueue(Reply.error(429, retry_after=0))   # first call: 429
        fake.enqueue('{"findings": []}')                # second call: this JSON answer
        client = OpenAIChat(api_key="k", base_url=fake.base_url)   # or fake.openai_base_url
        ...
        assert fake.requests[1].json["model"] == "gpt-4o-mini"
        assert fake.requests[0].headers["authorization"] == "Bearer k"

API
---
``FakeLLMServer(responder=None, *, latency=0.0, host="127.0.0.1", port=0)``
    ``responder(request_json) -> str | dict | list | Reply`` answers when the queue is
    empty (default: the JSON text ``{}``). A ``str`` is the model's answer text (JSON
    expected), a ``dict``/``list`` is serialised to it, a ``Reply`` gives full control.
    ``latency`` (seconds) delays every response (benchmarks); settable at any time,
    as is ``responder``. Use as a context manager, or ``start()`` / ``stop()``.
``base_url``            ``http://127.0.0.1:<port>``: works for both SDKs
                        (OpenAI posts to ``/chat/completions``, Anthropic to ``/v1/messages``).
``openai_base_url``     ``<base_url>/v1``; ``github_models_base_url``: ``<base_url>/inference``.
``enqueue(*replies)``   script the next replies in order (``Reply`` / ``str`` / ``dict``);
                        they are consumed first-in first-out across both APIs.
``fail(status, times=1, retry_after=None, message=None)``  enqueue ``times`` error replies.
``requests``            list of ``RecordedRequest`` (``method``, ``path``, ``headers`` with
                        lower-case names, ``body`` bytes, ``json``; ``.model``, ``.api``).
``request_count``, ``last_request``, ``pending`` (scripted replies left), ``reset()``.
``hold()`` / ``release()``  hold mode: from ``hold()`` on, every request is recorded and then
                        waits, unanswered, until ``release()`` (which ends hold mode and lets
                        every waiting request through); ``held`` counts the waiting ones and
                        ``wait_held(n, timeout)`` waits until ``n`` are. ``stop()`` releases.

``Reply(status=200, content=None, body=None, headers={}, delay=0.0, model=None,
prompt_tokens=None, completion_tokens=None, finish_reason=None)``
    ``content`` is the answer text (OpenAI: ``message.content``; Anthropic: the forced
    tool's ``input`` when it is a JSON object, else a text block). ``body`` replaces the
    whole response body (``bytes``/``str`` sent as is, ``dict`` as JSON) to simulate
    garbage. Token counts default to ~len/4 of the prompt and of the answer.
    Shortcuts: ``Reply.json(obj_or_text, **kw)``, ``Reply.error(status, message=None,
    retry_after=None, headers=None)`` (provider-shaped error body),
    ``Reply.raw(body, status=200, content_type="application/json")``.

Helpers for responders: ``user_prompt(request_json)``, ``system_prompt(request_json)``.

Fast retries: a client from ``build_llm`` backs off 0.5 s and up between attempts. In
tests either build ``ResilientLLM(backend, model=…, backoff_initial=0.001,
backoff_jitter=0, breakers=BreakerRegistry())`` or wrap the test in
``stamina.set_testing(True, attempts=N)`` (no waits; N attempts). Pass a fresh
``BreakerRegistry()`` to ``build_llm(settings, breakers=…)`` so breakers opened by one
test do not leak into the next.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], "str | dict[str, Any] | list[Any] | Reply"]

_DEFAULT_MESSAGES = {
    400: "bad request",
    401: "invalid api key",
    403: "forbidden",
    404: "model not found",
    429: "rate limit exceeded",
    500: "internal server error",
    503: "service unavailable",
}


@dataclass
class Reply:
    """One scripted answer: a success with ``content``, an error ``status``, or a raw ``body``."""

    status: int = 200
    content: str | dict[str, Any] | list[Any] | None = None
    body: bytes | str | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    message: str | None = None

    @classmethod
    def json(cls, content: str | dict[str, Any] | list[Any], **kw: Any) -> Reply:
        """A successful answer whose text is ``content`` (serialised if not a string)."""
        return cls(content=content, **kw)

    @classmethod
    def error(
        cls,
        status: int,
        *,
        message: str | None = None,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """An HTTP error with a provider-shaped body and an optional Retry-After."""
        hdrs = dict(headers or {})
        if retry_after is not None:
            hdrs["Retry-After"] = f"{retry_after:g}"
        return cls(status=status, headers=hdrs, message=message)

    @classmethod
    def raw(
        cls, body: bytes | str | dict[str, Any], *, status: int = 200, content_type: str = ""
    ) -> Reply:
        """Send ``body`` verbatim (e.g. garbage) with ``status``."""
        headers = {"Content-Type": content_type or "application/json"}
        return cls(status=status, body=body, headers=headers)


@dataclass(frozen=True)
class RecordedRequest:
    """What the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any

    @property
    def api(self) -> str:
        """``openai``, ``anthropic`` or ``other`` according to the path."""
        if self.path.split("?")[0].endswith("/chat/completions"):
            return "openai"
        if self.path.split("?")[0].endswith("/messages"):
            return "anthropic"
        return "other"

    @property
    def model(self) -> str | None:
        """The ``model`` field of the JSON body."""
        return self.json.get("model") if isinstance(self.json, dict) else None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def user_prompt(request_json: dict[str, Any]) -> str:
    """The text of the user messages in an OpenAI or Anthropic request body."""
    return "\n".join(
        _text_of(m.get("content"))
        for m in request_json.get("messages", [])
        if isinstance(m, dict) and m.get("role") == "user"
    )


def system_prompt(request_json: dict[str, Any]) -> str:
    """The system prompt of an OpenAI (system message) or Anthropic (``system``) request."""
    if "system" in request_json:
        return _text_of(request_json["system"])
    return "\n".join(
        _text_of(m.get("content"))
        for m in request_json.get("messages", [])
        if isinstance(m, dict) and m.get("role") == "system"
    )


def _default_responder(_request_json: dict[str, Any]) -> str:
    return "{}"


VERIFY_SCHEMA = "argus_verify"
_CANDIDATE = re.compile(r"^\[id (\d+)\] .*:(?:\d+-)?(\d+) · ", re.MULTILINE)


def schema_name(request_json: dict[str, Any]) -> str:
    """The structured-output schema a request asks for (OpenAI ``response_format`` or the
    forced Anthropic tool), "" when none."""
    fmt = request_json.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        return str(fmt["json_schema"].get("name", ""))
    choice = request_json.get("tool_choice")
    if isinstance(choice, dict):
        return str(choice.get("name", ""))
    return ""


def is_verification(request_json: dict[str, Any]) -> bool:
    """True for the review's verification pass (its own schema)."""
    return schema_name(request_json) == VERIFY_SCHEMA


def confirm_all(request_json: dict[str, Any]) -> dict[str, Any]:
    """A verifier that confirms every candidate, citing the candidate's own (last) line."""
    verdicts = [
        {"id": int(m.group(1)), "confirmed": True, "evidence_lines": [int(m.group(2))],
         "reason": "Shown by the cited line."}
        for m in _CANDIDATE.finditer(user_prompt(request_json))
    ]  # fmt: skip
    return {"verdicts": verdicts}


class FakeLLMServer:
    """A scriptable OpenAI + Anthropic compatible HTTP server on loopback."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.responder: Responder = responder or _default_responder
        #: answers the verification pass when ``enqueue_verify`` scripted nothing
        self.verifier: Responder = confirm_all
        self._verify_queue: deque[Reply] = deque()
        self.latency = latency
        self._host, self._port = host, port
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self._gate = threading.Event()  # set: answer; cleared by hold() until release()
        self._gate.set()
        self._held = 0
        self._held_changed = threading.Condition(self._lock)

    # ---- lifecycle ---------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Bind an ephemeral port and serve in a daemon thread."""
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (held requests are released first)."""
        self.release()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ---- addresses ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("FakeLLMServer is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        """``<base_url>/v1`` as OpenAI's own default base URL ends."""
        return self.base_url + "/v1"

    @property
    def github_models_base_url(self) -> str:
        """``<base_url>/inference`` as GitHub Models' base URL ends."""
        return self.base_url + "/inference"

    # ---- scripting and inspection -----------------------------------------

    def enqueue(self, *replies: Reply | str | dict[str, Any] | list[Any]) -> None:
        """Script the next replies, consumed in order before the responder is used."""
        with self._lock:
            for reply in replies:
                self._queue.append(reply if isinstance(reply, Reply) else Reply(content=reply))

    def enqueue_verify(self, *replies: Reply | str | dict[str, Any] | list[Any]) -> None:
        """Script the verification pass's next replies (its calls never take ``enqueue``'s)."""
        with self._lock:
            for reply in replies:
                self._verify_queue.append(
                    reply if isinstance(reply, Reply) else Reply(content=reply)
                )

    @property
    def review_requests(self) -> list[RecordedRequest]:
        """The recorded requests that are not the verification pass's."""
        with self._lock:
            return [
                r
                for r in self._requests
                if not (isinstance(r.json, dict) and is_verification(r.json))
            ]

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        """Script ``times`` error replies with ``status``."""
        for _ in range(times):
            self.enqueue(Reply.error(status, retry_after=retry_after, message=message))

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many requests were received."""
        with self._lock:
            return len(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (IndexError if none)."""
        with self._lock:
            return self._requests[-1]

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._queue)

    def hold(self) -> None:
        """From now on, keep every request waiting (unanswered) until ``release()``."""
        self._gate.clear()

    def release(self) -> None:
        """Answer every held request and stop holding."""
        self._gate.set()

    @property
    def held(self) -> int:
        """Requests waiting for ``release()`` right now."""
        with self._lock:
            return self._held

    def wait_held(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` requests are held; False on timeout."""
        with self._held_changed:
            return self._held_changed.wait_for(lambda: self._held >= count, timeout)

    def _wait_gate(self) -> None:
        if self._gate.is_set():
            return
        with self._held_changed:
            self._held += 1
            self._held_changed.notify_all()
        try:
            self._gate.wait()
        finally:
            with self._held_changed:
                self._held -= 1
                self._held_changed.notify_all()

    def reset(self) -> None:
        """Forget recorded requests and scripted replies."""
        with self._lock:
            self._queue.clear()
            self._verify_queue.clear()
            self._requests.clear()

    # ---- serving (called from handler threads) ----------------------------

    def _handle(self, recorded: RecordedRequest) -> tuple[int, dict[str, str], bytes, float]:
        with self._lock:
            self._requests.append(recorded)
            self._counter += 1
            number = self._counter
        path = recorded.path.split("?")[0]
        if recorded.method == "GET" and path.endswith("/models"):
            listing = {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
            return 200, {}, json.dumps(listing).encode(), self.latency
        if recorded.method != "POST" or recorded.api == "other":
            return 404, {}, b'{"error": {"message": "no such route"}}', 0.0
        if not isinstance(recorded.json, dict):
            return 400, {}, b'{"error": {"message": "body is not a JSON object"}}', 0.0
        verify = is_verification(recorded.json)
        with self._lock:
            queue = self._verify_queue if verify else self._queue
            reply = queue.popleft() if queue else None
        if reply is None:
            answer = (self.verifier if verify else self.responder)(recorded.json)
            reply = answer if isinstance(answer, Reply) else Reply(content=answer)
        status, headers, body = _render(reply, recorded, number)
        return status, headers, body, self.latency + reply.delay


def _render(reply: Reply, req: RecordedRequest, number: int) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", **reply.headers}
    if reply.body is not None:
        raw = reply.body
        data = (
            json.dumps(raw).encode()
            if isinstance(raw, dict)
            else (raw.encode() if isinstance(raw, str) else raw)
        )
        return reply.status, headers, data
    if reply.status >= 400:
        text = reply.message or _DEFAULT_MESSAGES.get(reply.status, f"error {reply.status}")
        if req.api == "anthropic":
            err: dict[str, Any] = {"type": "error", "error": {"type": "api_error", "message": text}}
        else:
            err = {"error": {"message": text, "type": "fake_error", "code": str(reply.status)}}
        return reply.status, headers, json.dumps(err).encode()
    content = reply.content if reply.content is not None else "{}"
    text = content if isinstance(content, str) else json.dumps(content)
    body = req.json
    model = reply.model or str(body.get("model", "fake-model"))
    prompt_chars = len(system_prompt(body)) + len(user_prompt(body))
    prompt_tokens = (
        reply.prompt_tokens if reply.prompt_tokens is not None else prompt_chars // 4 + 1
    )
    completion_tokens = (
        reply.completion_tokens if reply.completion_tokens is not None else len(text) // 4 + 1
    )
    if req.api == "anthropic":
        out = _anthropic_body(body, text, model, number, reply.finish_reason)
        out["usage"] = {"input_tokens": prompt_tokens, "output_tokens": completion_tokens}
    else:
        out = {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": reply.finish_reason or "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    return reply.status, headers, json.dumps(out).encode()


def _anthropic_body(
    body: dict[str, Any], text: str, model: str, number: int, finish: str | None
) -> dict[str, Any]:
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    name = choice.get("name") or (tools[0].get("name") if tools else None)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if name and isinstance(parsed, dict):
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": f"toolu_fake_{number}",
            "name": name,
            "input": parsed,
        }
        stop = finish or "tool_use"
    else:
        block = {"type": "text", "text": text}
        stop = finish or "end_turn"
    return {
        "id": f"msg_fake_{number}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block],
        "stop_reason": stop,
        "stop_sequence": None,
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        recorded = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=raw,
            json=parsed,
        )
        status, headers, body, delay = self.fake._handle(recorded)
        self.fake._wait_gate()
        if delay > 0:
            time.sleep(delay)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    do_POST = _serve
    do_GET = _serve

"""``argus app create``'s local side: a one-page form, GitHub's redirect, the exchange.

A small HTTP server on ``127.0.0.1`` (a random port unless given) serves ``/``: a form
that posts the manifest to GitHub's "new App from manifest" page with a random
``state``. GitHub shows the App to the user, creates it, and sends the browser back to
``/callback?code=…&state=…``. With the same ``state`` (else 400) and no credentials in
the way, the code is exchanged once (``POST /app-manifests/{code}/conversions``) and
the credentials are written (``app_files``). The server answers only requests addressed
to itself by name (``Host``: no DNS rebinding) and stops after one App, on Ctrl-C, or
at the timeout. No secret is printed, logged or shown on a page.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from argusai import __version__
from argusai.errors import ArgusError, GitHubError, GitHubTransientError, InputError
from argusai.github.app_files import Destination, refuse_to_overwrite, write_credentials
from argusai.github.manifest import (
    PERMISSIONS,
    AppCredentials,
    GitHubSite,
    app_manifest,
    parse_conversion,
)

CALLBACK_PATH = "/callback"
API_VERSION = "2022-11-28"
_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the callback's code must not leak to other sites
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Created:
    """The App GitHub created, and the variables written for it."""

    app: AppCredentials
    written: list[str]
    dest: Destination


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    headers: dict[str, str]


class ManifestFlow:
    """One run of ``argus app create``: serve the form, take the redirect, write the files."""

    def __init__(
        self,
        *,
        site: GitHubSite,
        org: str | None,
        name: str,
        public_url: str,
        events: Iterable[str],
        dest: Destination,
        force: bool = False,
        port: int = 0,
        transport: httpx.BaseTransport | None = None,
        say: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.site = site
        self.org = org
        self.dest = dest
        self.force = force
        self._events = list(events)
        self._name = name
        self._public_url = public_url
        self._port = port
        self._transport = transport
        self._say = say
        self._state = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._created: Created | None = None
        self._fetched: AppCredentials | None = None  # exchanged, not yet written
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._local_url: str | None = None
        self.new_app_url = site.new_app_url(org)
        # the manifest is complete only once the port is known; built now to check it
        self._manifest = self._build_manifest("http://127.0.0.1/callback")
        refuse_to_overwrite(dest, force=force)

    # ---- life cycle ------------------------------------------------------------------

    def start(self) -> str:
        """Listen on 127.0.0.1; returns the address of the form page."""
        server = _Server(self, self._port)
        self._server = server
        self._local_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._manifest = self._build_manifest(f"{self.local_url}{CALLBACK_PATH}")
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return f"{self.local_url}/"

    @property
    def local_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the server (once started)."""
        if self._local_url is None:
            raise RuntimeError("not started")
        return self._local_url

    def wait(self, timeout: float) -> Created:
        """Block until an App is created and written; InputError at the timeout."""
        deadline = time.monotonic() + timeout
        while not self._done.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise InputError(
                    f"no App was created within {timeout:g} s; nothing was written "
                    "(run 'argus app create' again)"
                )
        assert self._created is not None
        return self._created

    def close(self) -> None:
        """Stop the server (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ManifestFlow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- pages -----------------------------------------------------------------------

    def _build_manifest(self, redirect_url: str) -> dict[str, Any]:
        return app_manifest(
            name=self._name,
            public_url=self._public_url,
            redirect_url=redirect_url,
            events=self._events,
        )

    def answer(self, method: str, target: str, host: str | None) -> Answer:
        """The response to one request of the browser."""
        if self._server is None or host not in self._hosts():
            return _page(421, "Wrong address", f"<p>Open {_e(self.local_url)}/ instead.</p>")
        parts = urlsplit(target)
        if method == "GET" and parts.path == "/":
            return self._form()
        if method == "GET" and parts.path == CALLBACK_PATH:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            return self._callback(query.get("code", ""), query.get("state", ""))
        return _page(404, "Not found", "<p>Nothing here.</p>")

    def _hosts(self) -> set[str]:
        port = self._server.server_address[1] if self._server is not None else 0
        return {f"127.0.0.1:{port}", f"localhost:{port}"}

    def _form(self) -> Answer:
        manifest = self._manifest
        owner = f"the organisation {self.org}" if self.org else "your GitHub account"
        permissions = "".join(
            f"<li><code>{_e(name)}</code>: {_e(access)} — {_e(why)}</li>"
            for name, (access, why) in PERMISSIONS.items()
        )
        events = ", ".join(f"<code>{_e(e)}</code>" for e in manifest["default_events"])
        body = f"""
<p>This creates a private GitHub App named <b>{_e(manifest["name"])}</b> for {_e(owner)}
on <b>{_e(self.site.web_url)}</b>. GitHub shows it to you before anything is created;
you can change the name there.</p>
<ul>
<li>Webhooks go to <code>{_e(manifest["hook_attributes"]["url"])}</code></li>
<li>Dashboard sign-in comes back to <code>{_e(manifest["callback_urls"][0])}</code></li>
<li>Events: {events} (and installations, which every App gets)</li>
</ul>
<p>Repository permissions:</p>
<ul>{permissions}</ul>
<form method="post" action="{_e(self.new_app_url)}?state={_e(self._state)}">
<input type="hidden" name="manifest" value="{_e(json.dumps(manifest))}">
<button type="submit">Create the App on GitHub</button>
</form>
<p class="note">Afterwards GitHub sends you back here, and <code>argus</code> writes the App's
credentials to <code>{_e(str(self.dest.env_file))}</code> and
<code>{_e(str(self.dest.key_file))}</code>.</p>"""
        return _page(200, "Create the ArgusAI GitHub App", body, form_action=self.site.web_url)

    def _callback(self, code: str, state: str) -> Answer:
        if not secrets.compare_digest(state.encode(), self._state.encode()):
            self._say("a redirect with a wrong state was refused (not from this form)")
            return _page(400, "Not from this form", "<p>Start again from the form.</p>")
        with self._lock:
            if self._created is not None:
                return self._done_page(self._created)
            if not code:
                return _page(400, "No code", "<p>GitHub did not create the App.</p>")
            if self._fetched is None:
                try:
                    refuse_to_overwrite(self.dest, force=self.force)  # before the code is spent
                except InputError as exc:
                    self._say(str(exc))
                    return _page(
                        409,
                        "Credentials in the way",
                        f"<p>{_e(str(exc))}.</p><p>Move them away, then reload this page "
                        "(GitHub's code works for an hour).</p>",
                    )
                try:
                    self._fetched = self._exchange(code)
                except ArgusError as exc:
                    self._say(f"the exchange failed: {exc}")
                    return _page(502, "GitHub did not hand over the App", f"<p>{_e(str(exc))}</p>")
            app = self._fetched
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            header = f"GitHub App {app.name!r} (id {app.app_id}): argus app create, {stamp}"
            try:
                written = write_credentials(self.dest, app, self.site, header=header)
            except (OSError, ValueError) as exc:  # kept in memory: a reload writes again
                where = getattr(exc, "filename", None) or self.dest.env_file
                problem = f"{where}: {getattr(exc, 'strerror', None) or exc}"
                self._say(f"could not write the credentials ({problem}); fix it, reload the page")
                return _page(500, "Could not write the credentials", f"<p>{_e(problem)}</p>")
            self._created = Created(app, written, self.dest)
        self._done.set()
        return self._done_page(self._created)

    def _done_page(self, created: Created) -> Answer:
        app = created.app
        url = app.installation_url
        body = (
            f"<p>GitHub created <b>{_e(app.name)}</b> (App id {app.app_id}). Its credentials "
            f"are in <code>{_e(str(created.dest.env_file))}</code>.</p>"
            f'<p>Next: <a href="{_e(url)}">install it on your repositories</a>.</p>'
            "<p>You can close this page.</p>"
        )
        return _page(200, "ArgusAI's GitHub App is ready", body)

    def _exchange(self, code: str) -> AppCredentials:
        url = self.site.conversion_url(code)
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"ArgusAI/{__version__}",
        }
        try:
            with httpx.Client(transport=self._transport, timeout=30.0) as client:
                response = client.post(url, headers=headers)
        except httpx.HTTPError as exc:
            raise GitHubTransientError(
                f"{self.site.api_url} did not answer ({type(exc).__name__}); reload the page "
                "to try again"
            ) from None
        if response.status_code == 404:
            raise GitHubError(
                "GitHub does not know this code (it works once, within an hour): delete the "
                "new App in GitHub's settings and run 'argus app create' again",
                status=404,
            )
        if response.status_code >= 400:
            raise GitHubError(
                f"GitHub answered {response.status_code}: {_message(response)}",
                status=response.status_code,
            )
        try:
            data = response.json()
        except ValueError:
            raise GitHubError("GitHub's answer to the conversion is not JSON") from None
        return parse_conversion(data)


def _message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message)[:200] if message else response.reason_phrase


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _page(status: int, title: str, body: str, *, form_action: str | None = None) -> Answer:
    # the form goes to GitHub only ('self': a redirect back here after it, as the fake does)
    action = f" form-action {form_action} 'self'" if form_action else " form-action 'none'"
    csp = f"default-src 'none'; style-src 'unsafe-inline';{action}; base-uri 'none'"
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}}
code{{background:#f3f3f3;padding:0 .2em}} button{{font-size:1.1rem;padding:.5em 1em}}
.note{{color:#555}}</style></head>
<body><h1>{_e(title)}</h1>{body}</body></html>
"""
    return Answer(status, text, {**_HEADERS, "Content-Security-Policy": csp})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, flow: ManifestFlow, port: int) -> None:
        self.flow = flow
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the callback's query holds the one-time code."""

    def _serve(self) -> None:
        answer = self.server.flow.answer(self.command, self.path, self.headers.get("Host"))
        payload = answer.body.encode()
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _serve

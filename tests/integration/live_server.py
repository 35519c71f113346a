"""The app served as ``argus serve`` serves it (``web.connections.server_config``), in a thread.

In-process, so a test can reach the runtime, the database and its fakes directly while
real clients talk HTTP to a real uvicorn on a loopback port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from argusai.runtime import Runtime
from argusai.settings import Settings
from argusai.web.app import create_app
from argusai.web.connections import server_config


@contextmanager
def live_server(rt: Runtime) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of the app for ``rt`` until the block ends."""
    with live_app(create_app(rt), rt.settings) as url:
        yield url


@contextmanager
def live_app(app: ASGIApp, settings: Settings) -> Iterator[str]:
    """Any ASGI app behind ``argus serve``'s server configuration."""
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=0))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def port_of(url: str) -> int:
    """The port of a ``live_server`` URL."""
    return int(url.rsplit(":", 1)[1])

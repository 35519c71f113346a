"""The FastAPI app factory: collaborators come in as arguments, nothing is built at import."""

from __future__ import annotations

from fastapi import FastAPI

from argusai import __version__
from argusai.app import build_router, register_tasks
from argusai.ciapi import routes as ciapi_routes
from argusai.runtime import Runtime
from argusai.scout import routes as scout_routes
from argusai.web import docs, errors, health, webhooks
from argusai.web import metrics as metrics_routes
from argusai.web.dashboard.mount import install as install_dashboard
from argusai.web.middleware import SecurityHeaders
from argusai.web.state import AppState, Metrics


def create_app(runtime: Runtime) -> FastAPI:
    """Build the web app around an already-wired runtime."""
    app = FastAPI(
        title="ArgusAI",
        version=__version__,
        description="LLM reviews for GitHub pull requests, CI failure analysis.",
        docs_url=None,  # served by web/docs.py from local files, under a CSP
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    register_tasks(runtime)
    app.state.argus = AppState(
        settings=runtime.settings,
        runtime=runtime,
        router=build_router(runtime.settings),
        metrics=Metrics(),
    )
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.include_router(webhooks.router)
    app.include_router(health.router)
    app.include_router(metrics_routes.router)
    app.include_router(scout_routes.router)
    app.include_router(ciapi_routes.router)
    docs.install(app)
    install_dashboard(app, runtime.settings)
    return app

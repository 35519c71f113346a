"""Per-process collaborators of the worker and the web app, built lazily, never at import."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from huey import Huey

from argusai.github.port import GitHubAppClient
from argusai.llm.port import LLMClient
from argusai.settings import Settings
from argusai.store.db import Database


@dataclass
class Runtime:
    """Settings, database, queue, and factories for the GitHub App and the LLM."""

    settings: Settings
    db: Database
    huey: Huey
    github_factory: Callable[[], GitHubAppClient]
    llm_factory: Callable[[], LLMClient]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _github: GitHubAppClient | None = field(default=None, repr=False)
    _llm: LLMClient | None = field(default=None, repr=False)

    @property
    def github(self) -> GitHubAppClient:
        """The GitHub App client, built on first use."""
        with self._lock:
            if self._github is None:
                self._github = self.github_factory()
            return self._github

    @property
    def llm(self) -> LLMClient:
        """The LLM client, built on first use."""
        with self._lock:
            if self._llm is None:
                self._llm = self.llm_factory()
            return self._llm


def build_runtime(settings: Settings, *, immediate: bool = False) -> Runtime:
    """Wire the real adapters from settings (GitHub and LLM clients on first use)."""
    from argusai.jobs.queue import create_huey
    from argusai.logs import settings_secrets
    from argusai.review.sanitize import register_secrets

    # never post these, even if an LLM is talked into repeating them
    register_secrets(*settings_secrets(settings))

    def github() -> GitHubAppClient:
        from argusai.github.app import GitHubApp

        return GitHubApp.from_settings(settings)

    def llm() -> LLMClient:
        from argusai.llm.factory import build_llm

        return build_llm(settings)

    return Runtime(
        settings=settings,
        db=Database(settings.resolved_database_url()),
        huey=create_huey(settings.resolved_queue_url(), immediate=immediate),
        github_factory=github,
        llm_factory=llm,
    )

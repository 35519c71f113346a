"""Per-process collaborators of the worker and the web app, built lazily, never at import.

The composition root (:mod:`argusai.app`) builds it; features only read it. A feature's
command gets one from the :class:`CommandStartup` the ``argus`` root puts on its context.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from argusai.core.secrets import Redactor

if TYPE_CHECKING:  # a plain container: the CLI imports it without loading these
    from huey import Huey

    from argusai.github.blobs import BlobCache
    from argusai.github.port import GitHubAppClient
    from argusai.llm.port import LLMClient
    from argusai.settings import Settings
    from argusai.store.db import Database
    from argusai.workq.queue import WorkQueue


@dataclass
class Runtime:
    """Settings, database, Huey, factories for the GitHub App, the LLM and the work queue,
    and the redactor of everything posted (it knows the settings' secrets)."""

    settings: Settings
    db: Database
    huey: Huey
    github_factory: Callable[[], GitHubAppClient]
    llm_factory: Callable[[], LLMClient]
    queue_factory: Callable[[Runtime], WorkQueue]
    #: the model that double-checks review findings before they are posted (None: ``llm``)
    verify_llm_factory: Callable[[], LLMClient] | None = None
    #: file texts by git blob id, shared across reviews (None: on disk under data_dir/blobs)
    blobs_factory: Callable[[], BlobCache] | None = None
    #: a client for other LLM settings (an experiment arm's model); None: ``llm`` for all
    model_llm_factory: Callable[[Settings], LLMClient] | None = None
    # empty: token shapes and the environment's secrets only; the composition root adds
    # the settings' secrets (a value read from a .env file never reaches os.environ)
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _github: GitHubAppClient | None = field(default=None, repr=False)
    _llm: LLMClient | None = field(default=None, repr=False)
    _queue: WorkQueue | None = field(default=None, repr=False)
    _verify_llm: LLMClient | None = field(default=None, repr=False)
    _blobs: BlobCache | None = field(default=None, repr=False)

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

    @property
    def verify_llm(self) -> LLMClient:
        """The LLM client of the verification pass (``ARGUS_LLM_VERIFY_MODEL``), or ``llm``."""
        if self.verify_llm_factory is None:
            return self.llm
        with self._lock:
            if self._verify_llm is None:
                self._verify_llm = self.verify_llm_factory()
            return self._verify_llm

    def with_llm_settings(self, settings: Settings) -> Runtime:
        """This runtime with ``settings`` (another model) and a client built for them."""
        make = self.model_llm_factory
        if make is None:
            return self
        return dataclasses.replace(
            self, settings=settings, llm_factory=lambda: make(settings), _llm=None
        )

    @property
    def blobs(self) -> BlobCache:
        """The blob cache (file texts by git blob id, shared by the data dir's processes)."""
        with self._lock:
            if self._blobs is None:
                if self.blobs_factory is None:
                    from argusai.github.blobs import DiskBlobCache

                    self._blobs = DiskBlobCache(self.settings.data_dir / "blobs")
                else:
                    self._blobs = self.blobs_factory()
            return self._blobs

    @property
    def queue(self) -> WorkQueue:
        """The work queue with every kind of work registered, built on first use."""
        with self._lock:
            if self._queue is None:
                self._queue = self.queue_factory(self)
            return self._queue


class OpenRuntime(Protocol):
    """Open the data dir, the database (migrated if asked) and the queue for a command."""

    def __call__(self, settings: Settings, *, migrate: bool = False) -> Runtime: ...


@dataclass(frozen=True)
class CommandStartup:
    """How a feature's command starts (the ``argus`` root hands it over as ``ctx.obj``)."""

    open_runtime: OpenRuntime
    register_tasks: Callable[[Runtime], object]

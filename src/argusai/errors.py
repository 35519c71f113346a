"""The one exception root of ArgusAI and its small tree.

ArgusError
├── ConfigError                 settings or a repository config file are invalid
├── InputError                  what a command was given cannot be used (a file that is
│                               not a diff, an id that does not exist)
├── TransientError              worth retrying with backoff (network, 5xx, 429)
│   ├── GitHubTransientError
│   │   └── GitHubRateLimited   carries ``reset_at`` (epoch seconds) when GitHub said
│   └── LLMTransientError
│       └── LLMRateLimited
├── PermanentError              retrying will not help; the job fails with a message
│   ├── GitHubError             4xx other than 429 / rate limit
│   └── LLMError                the provider refused, or its answer is unusable
└── Superseded                  a newer push made this job pointless: drop quietly

At the job boundary: TransientError → retry (then dead letter), PermanentError →
failed with a visible message, Superseded → status ``superseded``. In the ``argus``
command each is one line on stderr, ``argus: error: …``, and exit code 2 (an InputError
may carry another).
"""

from __future__ import annotations


class ArgusError(Exception):
    """Root of every error ArgusAI raises on purpose."""


class ConfigError(ArgusError):
    """Settings or a repository config file are invalid."""


class InputError(ArgusError):
    """A command was given something it cannot use: a file that is not a diff, an unknown id."""

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class TransientError(ArgusError):
    """A failure that may go away on retry (network, 5xx, 429)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ArgusError):
    """A failure that retrying will not fix."""


class GitHubTransientError(TransientError):
    """GitHub answered 5xx, timed out, or the connection failed."""


class GitHubRateLimited(GitHubTransientError):
    """GitHub's primary or secondary rate limit was hit."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, reset_at: float | None = None
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.reset_at = reset_at


class GitHubError(PermanentError):
    """GitHub refused a request (4xx other than rate limits)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LLMTransientError(TransientError):
    """The LLM provider failed in a way worth retrying."""


class LLMRateLimited(LLMTransientError):
    """The LLM provider answered 429."""


class LLMError(PermanentError):
    """The LLM provider refused the request or its answer could not be used."""


class Superseded(ArgusError):
    """A newer head SHA was pushed; this work must not be posted."""

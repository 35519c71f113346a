"""One typed Settings object, read from ``ARGUS_*`` variables and ``.env``, built once."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from argusai.errors import ConfigError

DEFAULT_EVENTS = (
    "pull_request.opened",
    "pull_request.reopened",
    "pull_request.ready_for_review",
    "pull_request.synchronize",
)


class LLMProvider(StrEnum):
    GITHUB_MODELS = "github-models"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai-compatible"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


GITHUB_MODELS_URL = "https://models.github.ai/inference"

#: days an API tenant's analyses are kept, by subscription tier (ARGUS_RETENTION_ANALYSES_DAYS)
DEFAULT_ANALYSIS_RETENTION = {"free": 7, "starter": 30, "pro": 90, "enterprise": 365}
#: webhook deliveries are the dedup memory: kept longer than GitHub redelivers (3 days)
MIN_DELIVERY_DAYS = 4


class Settings(BaseSettings):
    """Everything ArgusAI can be told; the names are the ``ARGUS_`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="ARGUS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # GitHub App
    github_app_id: int | None = None
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    github_webhook_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_api_version: str = "2022-11-28"
    #: the App's slug (``@<slug>`` in comments); unset: asked from ``GET /app`` by the worker
    github_app_slug: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
    #: the App's OAuth credentials: "Sign in with GitHub" on the dashboard (unset: local links)
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    #: where people sign in (github.com, or a GitHub Enterprise server's address)
    github_web_url: str = "https://github.com"

    # Storage and queue
    data_dir: Path = Path("./argus-data")
    database_url: str | None = None
    queue_url: str | None = None

    # LLM
    llm_provider: LLMProvider = LLMProvider.GITHUB_MODELS
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_fallback_model: str | None = None
    llm_timeout_seconds: float = 120.0
    llm_max_retries: int = 3
    llm_context_tokens: int = 12_000
    #: a second, cheaper call per chunk confirms each finding before it is posted
    llm_verify: bool = True
    llm_verify_model: str | None = None  # None: ARGUS_LLM_MODEL

    # Review
    review_enabled_events: Annotated[tuple[str, ...], NoDecode] = DEFAULT_EVENTS
    review_drafts: bool = False
    max_files_per_review: int = Field(default=20, ge=1, le=3000)
    max_comments_per_review: int = Field(default=10, ge=0, le=100)
    #: commands, questions and thread answers in PR comments (``@<slug> help``)
    commands_enabled: bool = True
    # The Actions fallback (seed 000): a review the server cannot make in time goes to the
    # repository's workflow (argus action init) as a repository_dispatch; argus fallback on
    # hands every review over whatever these say
    fallback_auto: bool = True  # false: only `argus fallback on` hands reviews over
    fallback_llm_down_seconds: int = Field(default=600, ge=0)  # the LLM's breakers open
    fallback_queue_wait_seconds: int = Field(default=900, ge=0)  # the oldest review waits
    fallback_workflow_path: str = Field(
        default=".github/workflows/argusai.yml", pattern=r"^\.github/workflows/[\w.-]+\.ya?ml$"
    )

    # Jobs
    job_max_retries: int = Field(default=5, ge=0)
    job_retry_delay_seconds: float = Field(default=10.0, ge=0)
    job_lease_seconds: int = Field(default=600, ge=5)
    sweeper_interval_seconds: int = Field(default=60, ge=1)
    #: a queued item whose message has not started after this long is dispatched again
    redispatch_after_seconds: int = Field(default=300, ge=1)
    redelivery_enabled: bool = True
    redelivery_scan_limit: int = Field(default=1000, ge=1)
    worker_threads: int = Field(default=2, ge=1)

    # Web
    max_webhook_bytes: int = 25 * 1024 * 1024
    #: proxies whose X-Forwarded-For / -Proto are believed (IPs or CIDRs); empty: none
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    #: connection deadlines of ``argus serve`` (uvicorn plus ``web/connections.py``)
    http_keepalive_seconds: int = Field(default=5, ge=1)
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    http_body_timeout_seconds: float = Field(default=60.0, gt=0)
    http_max_header_bytes: int = Field(default=64 * 1024, ge=4096)
    http_max_concurrency: int = Field(default=500, ge=10)  # connections + tasks, then 503

    # Dashboard (/dashboard): who sees everything and may retry or pause, sessions
    admin_logins: Annotated[tuple[str, ...], NoDecode] = ()
    dashboard_session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    #: how long the installations and repositories a user may see are believed (then re-asked)
    dashboard_access_ttl_seconds: int = Field(default=300, ge=0, le=3600)

    # Rate limits (shared by every process through the limiter backend; 0 = no limit)
    rate_limit_url: str | None = None
    github_writes_per_minute: int = Field(default=80, ge=0)
    github_writes_per_hour: int = Field(default=500, ge=0)
    github_min_rate_limit_remaining: int = Field(default=50, ge=0)
    github_max_pacing_wait_seconds: float = Field(default=3.0, ge=0)
    reviews_per_minute_per_installation: int = Field(default=10, ge=0)
    webhooks_per_minute_per_repo: int = Field(default=60, ge=0)
    #: commands in PR comments that spend tokens (questions, explain, review), per hour
    commands_per_hour_per_user: int = Field(default=30, ge=0)
    commands_per_hour_per_installation: int = Field(default=300, ge=0)

    # CI failure analysis (on GitHub and as a multi-tenant API)
    secret_key: SecretStr | None = None  # encrypts tenants' callback secrets (Fernet key)
    ci_enabled: bool = True
    ci_token_budget: int = Field(default=6000, ge=500)
    ci_sync_max_bytes: int = Field(default=10 * 1024, ge=0)
    ci_max_log_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    ci_callback_allowlist: Annotated[tuple[str, ...], NoDecode] = ()  # hosts/CIDRs allowed
    ci_callback_max_failures: int = Field(default=5, ge=1)
    #: sync analyses holding an LLM call at once (in total, per tenant); the rest go async
    ci_sync_max_concurrency: int = Field(default=8, ge=0)
    ci_sync_max_per_tenant: int = Field(default=2, ge=0)
    #: an analysis (reduce + LLM) taking longer is stopped and reported failed (seed 003: 5 min)
    ci_analysis_timeout_seconds: float = Field(default=300.0, gt=0)
    #: analysis uploads in progress at once from one client address, per web process (seed 003)
    ci_max_uploads_per_ip: int = Field(default=100, ge=1)
    #: a failed job is compared with the last passing run of the same job (its log downloaded
    #: once and kept under data_dir/ci-passing-logs, at most this many MB; 0: not kept)
    ci_compare_passing: bool = True
    ci_passing_log_cache_mb: int = Field(default=256, ge=0)
    #: how far back the history of a failing test or step reaches in the PR comment
    ci_history_days: int = Field(default=7, ge=1, le=90)

    # Scout (catalogue of beginner-friendly repositories and issues)
    scout_sources: Annotated[tuple[str, ...], NoDecode] = ("awesome-for-beginners",)
    scout_request_budget: int = Field(default=1000, ge=1)
    scout_cron: str = "0 6,18 * * *"
    scout_github_token: SecretStr | None = None
    scout_max_in_flight: int = Field(default=10, ge=1, le=50)

    # Operations: metrics, readiness, error tracking (README "Operations")
    #: bearer token for /metrics and a worker's metrics port; unset: direct loopback clients only
    metrics_token: SecretStr | None = None
    #: the metrics files the web and worker processes of one host share; unset: data_dir/metrics
    metrics_dir: Path | None = None
    #: a worker's own metrics endpoint, for workers on other hosts (0: none)
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    #: each worker writes a heartbeat this often; /readyz wants one younger than the stale age
    worker_heartbeat_seconds: float = Field(default=15.0, gt=0)
    worker_stale_seconds: float = Field(default=60.0, gt=0)
    #: /readyz is 503 while no worker heartbeat is fresh (false: reported, not required)
    ready_requires_worker: bool = True
    #: Sentry error tracking (the seeds' SENTRY_DSN is read too); unset: off
    sentry_dsn: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ARGUS_SENTRY_DSN", "SENTRY_DSN", "sentry_dsn")
    )
    sentry_environment: str | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0, le=1)

    # Retention: days each kind of data is kept (0: forever), pruned hourly (argus db prune)
    retention_enabled: bool = True
    retention_batch_size: int = Field(default=500, ge=1, le=10_000)
    retention_deliveries_days: int = Field(default=30, ge=0)
    retention_llm_answers_days: int = Field(default=14, ge=0)
    retention_reviews_days: int = Field(default=180, ge=0)
    retention_ci_runs_days: int = Field(default=90, ge=0)
    retention_commands_days: int = Field(default=90, ge=0)
    retention_notifications_days: int = Field(default=30, ge=0)
    #: analyses of API tenants per subscription tier (``free=7,pro=90``: merged with these)
    retention_analyses_days: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_ANALYSIS_RETENTION)
    )
    retention_audit_days: int = Field(default=365, ge=0)
    retention_scout_runs_days: int = Field(default=90, ge=0)
    retention_dead_letters_days: int = Field(default=90, ge=0)

    # Notifications: dead letters, failed reviews, critical findings, CI explanations, scout
    # runs, tenants' quotas (routes per installation/repository/tenant: argus notify add)
    #: channels for every event, comma-separated: slack://, discord://, mailto(s)://, https://
    notify_urls: SecretStr | None = None
    #: signs the https:// (generic JSON webhook) channels of ARGUS_NOTIFY_URLS
    notify_webhook_secret: SecretStr | None = None
    #: events the ARGUS_NOTIFY_URLS channels get (empty: all)
    notify_events: Annotated[tuple[str, ...], NoDecode] = ()
    #: hosts/CIDRs a channel may reach although private or loopback (SSRF rules)
    notify_allowlist: Annotated[tuple[str, ...], NoDecode] = ()
    #: events of one kind to one channel within this window become one digest (0: none)
    notify_digest_seconds: int = Field(default=300, ge=0)
    notify_max_per_hour: int = Field(default=30, ge=1)  # messages per channel

    # Logs
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.AUTO

    @field_validator(
        "review_enabled_events", "scout_sources", "ci_callback_allowlist", mode="before"
    )
    @classmethod
    def _split_events(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(e.strip() for e in value.split(",") if e.strip())
        return value

    @field_validator("admin_logins", mode="before")
    @classmethod
    def _split_logins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(e.strip().lstrip("@") for e in value.split(",") if e.strip())
        return value

    @field_validator("notify_events", "notify_allowlist", mode="before")
    @classmethod
    def _split_notify(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(e.strip() for e in value.split(",") if e.strip())
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _check_proxies(cls, value: Any) -> Any:
        import ipaddress

        if isinstance(value, str):
            value = tuple(p.strip() for p in value.split(",") if p.strip())
        for entry in value:
            try:
                ipaddress.ip_network(str(entry), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR") from None
        return tuple(str(e) for e in value)

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("github_private_key")
    @classmethod
    def _check_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            _load_private_key(value.get_secret_value().replace("\\n", "\n"))
        return value

    @field_validator("retention_analyses_days", mode="before")
    @classmethod
    def _tier_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("{"):
                import json

                value = json.loads(value)
            else:
                pairs = [p.partition("=") for p in value.split(",") if p.strip()]
                if any(not sep for _, sep, _ in pairs):
                    raise ValueError("write tier=days pairs, e.g. free=7,pro=90")
                value = {k.strip().lower(): v.strip() for k, _, v in pairs}
        if not isinstance(value, dict):
            raise ValueError("write tier=days pairs, e.g. free=7,pro=90")
        merged = {**DEFAULT_ANALYSIS_RETENTION, **{str(k).lower(): v for k, v in value.items()}}
        if any(int(days) < 0 for days in merged.values()):
            raise ValueError("days must be 0 (forever) or more")
        return {k: int(v) for k, v in merged.items()}

    @field_validator("retention_deliveries_days")
    @classmethod
    def _deliveries_outlive_redelivery(cls, value: int) -> int:
        if 0 < value < MIN_DELIVERY_DAYS:
            raise ValueError(
                f"must be 0 (forever) or at least {MIN_DELIVERY_DAYS}: GitHub redelivers for 3 "
                "days, and a delivery id must be remembered to be recognised"
            )
        return value

    @model_validator(mode="after")
    def _check_heartbeat(self) -> Settings:
        if self.worker_stale_seconds <= self.worker_heartbeat_seconds:
            raise ValueError(
                "ARGUS_WORKER_STALE_SECONDS must be longer than ARGUS_WORKER_HEARTBEAT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _check_key_path(self) -> Settings:
        if self.github_private_key_path is not None and self.github_private_key is None:
            path = self.github_private_key_path
            if not path.is_file():
                raise ValueError(f"ARGUS_GITHUB_PRIVATE_KEY_PATH: no file at {path}")
            _load_private_key(path.read_text(encoding="utf-8"))
        return self

    # ---- derived values -------------------------------------------------

    def private_key_pem(self) -> str | None:
        """The App's private key as PEM text, from the variable or the file."""
        if self.github_private_key is not None and self.github_private_key.get_secret_value():
            return self.github_private_key.get_secret_value().replace("\\n", "\n")
        if self.github_private_key_path is not None:
            return self.github_private_key_path.read_text(encoding="utf-8")
        return None

    def dashboard_oauth(self) -> bool:
        """True when "Sign in with GitHub" is configured (client id and secret)."""
        secret = self.github_client_secret
        has_secret = secret is not None and bool(secret.get_secret_value())
        return bool(self.github_client_id) and has_secret

    def notify_url_list(self) -> list[str]:
        """The channel URLs of ``ARGUS_NOTIFY_URLS`` (secrets: never log them)."""
        if self.notify_urls is None:
            return []
        return [u.strip() for u in self.notify_urls.get_secret_value().split(",") if u.strip()]

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'argus.db').resolve()}"

    def resolved_queue_url(self) -> str:
        """The queue URL, defaulting to its own SQLite file in the data dir."""
        if self.queue_url:
            return self.queue_url
        return f"sqlite:///{(self.data_dir / 'queue.db').resolve()}"

    def resolved_rate_limit_url(self) -> str:
        """Where the shared rate limiters keep their state: follows the deployment.

        ``ARGUS_RATE_LIMIT_URL`` if set; else Redis when the queue is on Redis; else
        PostgreSQL when the database (or the queue) is; else a SQLite file in the data dir.
        """
        if self.rate_limit_url:
            return self.rate_limit_url
        queue = self.queue_url or ""
        if queue.startswith(("redis://", "rediss://")):
            return queue
        database = self.database_url or ""
        if database.startswith("postgresql"):
            return database
        if queue.startswith(("postgresql://", "postgres://")):
            return queue
        return f"sqlite:///{(self.data_dir / 'ratelimits.db').resolve()}"

    def llm_api_key_value(self) -> str | None:
        """The LLM key; GitHub Models falls back to ``GITHUB_TOKEN``."""
        if self.llm_api_key is not None and self.llm_api_key.get_secret_value():
            return self.llm_api_key.get_secret_value()
        if self.llm_provider is LLMProvider.GITHUB_MODELS:
            return os.environ.get("GITHUB_TOKEN") or None
        return None

    def llm_resolved_base_url(self) -> str | None:
        """The LLM endpoint; GitHub Models has a default, others use the SDK default."""
        if self.llm_base_url:
            return self.llm_base_url
        if self.llm_provider is LLMProvider.GITHUB_MODELS:
            return GITHUB_MODELS_URL
        return None

    def missing_for_webhooks(self) -> list[str]:
        """Settings that must be set before webhooks are accepted."""
        missing = []
        if self.github_webhook_secret is None or not self.github_webhook_secret.get_secret_value():
            missing.append("ARGUS_GITHUB_WEBHOOK_SECRET")
        if self.github_app_id is None:
            missing.append("ARGUS_GITHUB_APP_ID")
        if self.private_key_pem() is None:
            missing.append("ARGUS_GITHUB_PRIVATE_KEY (or ARGUS_GITHUB_PRIVATE_KEY_PATH)")
        return missing

    def missing_for_llm(self) -> list[str]:
        """Settings the LLM provider needs that are not set."""
        if (
            self.llm_api_key_value() is None
            and self.llm_provider is not LLMProvider.OPENAI_COMPATIBLE
        ):
            if self.llm_provider is LLMProvider.GITHUB_MODELS:
                return ["ARGUS_LLM_API_KEY (or GITHUB_TOKEN)"]
            return ["ARGUS_LLM_API_KEY"]
        if self.llm_provider is LLMProvider.OPENAI_COMPATIBLE and not self.llm_base_url:
            return ["ARGUS_LLM_BASE_URL"]
        return []


def _load_private_key(pem: str) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("not a readable PEM private key") from exc


def load_settings(**overrides: Any) -> Settings:
    """Build the Settings once; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err.get("loc") or ()
            name = "ARGUS_" + str(loc[0]).upper() if loc else "settings"
            msg = err.get("msg", "invalid")
            if "ARGUS_" in msg:
                problems.append(msg.removeprefix("Value error, "))
            else:
                problems.append(f"{name}: {msg.removeprefix('Value error, ')}")
        raise ConfigError("; ".join(problems)) from None  # each names its variable

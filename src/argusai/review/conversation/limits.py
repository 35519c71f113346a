"""Command limits on the shared limiter: per person (a polite notice beyond it) and per
installation (commands wait their turn, as reviews do)."""

from __future__ import annotations

import contextlib
import random

from pyrate_limiter import Rate

from argusai.core.per_object import PerObject
from argusai.limits.limiter import RateLimiter
from argusai.limits.policy import HOUR, Deferral, limits_for
from argusai.settings import Settings


class CommandLimits:
    """``ARGUS_COMMANDS_PER_HOUR_PER_USER`` / ``_PER_INSTALLATION`` (0: no limit) over the
    deployment's limiter backend, so every worker counts the same commands."""

    def __init__(self, settings: Settings) -> None:
        backend = limits_for(settings).backend
        self.per_user_hour = settings.commands_per_hour_per_user
        self.per_installation_hour = settings.commands_per_hour_per_installation
        window = int(HOUR * 1000)
        self.users = RateLimiter(
            backend, "cmd-user", [Rate(self.per_user_hour, window)] if self.per_user_hour else []
        )
        self.installations = RateLimiter(
            backend,
            "cmd-inst",
            [Rate(self.per_installation_hour, window)] if self.per_installation_hour else [],
        )

    def user_wait(self, installation_id: int, user: str) -> float:
        """0 when ``user`` may run one more command now; else seconds until they may."""
        return self.users.acquire(f"inst:{installation_id}:user:{user.lower()}")

    def installation_wait(self, installation_id: int) -> float:
        """0 when the installation may run one more command now; else seconds to wait."""
        return self.installations.acquire(f"inst:{installation_id}")

    def admit(self, installation_id: int) -> Deferral | None:
        """None when the installation may start a command that spends tokens now."""
        wait = self.installation_wait(installation_id)
        if wait <= 0:
            return None
        spread = random.uniform(0, 30)  # noqa: S311 - jitter, not security
        return Deferral(
            wait + spread,
            f"over {self.per_installation_hour} commands/hour for this installation",
        )

    def close(self) -> None:
        """Drop the buckets (the shared backend is closed with the main limits)."""
        self.users.close()
        self.installations.close()


def _close(limits: CommandLimits) -> None:
    with contextlib.suppress(Exception):  # best effort at teardown
        limits.close()


_per_settings: PerObject[Settings, CommandLimits] = PerObject(CommandLimits, _close)


def command_limits(settings: Settings) -> CommandLimits:
    """The command limits of ``settings`` (one per Settings object, as ``limits_for``)."""
    return _per_settings.get(settings)

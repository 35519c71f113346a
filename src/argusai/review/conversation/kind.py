"""Commands as a kind of work on the queue: retries, dead letters, limits per installation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argusai.errors import GitHubRateLimited
from argusai.limits.policy import Deferral, limits_for
from argusai.review.conversation.commands import SPENDS_TOKENS
from argusai.review.conversation.items import COMMANDS
from argusai.review.conversation.limits import command_limits
from argusai.review.conversation.models import PRCommand
from argusai.runtime import Runtime
from argusai.workq.kinds import Claimed, Wait, WorkKind

COMMAND = "command"
_SPENDING = frozenset(n.value for n in SPENDS_TOKENS)


def command_kind(get_runtime: Callable[[], Runtime]) -> WorkKind:
    """The ``command`` kind: commands that spend tokens wait for the installation's limit."""

    def handle(item: Claimed) -> None:
        from argusai.review.conversation.job import process_command

        process_command(get_runtime(), item.row)

    def admit(row: PRCommand) -> Wait | None:
        settings = get_runtime().settings
        paused = limits_for(settings).pauses.remaining(row.installation_id)
        if paused > 0:
            return Deferral(paused, "installation paused: GitHub rate limit")
        if row.name not in _SPENDING or row.addressed == "thread":
            # a reply in a review thread may well not be for us: counted once the job
            # knows the thread is ArgusAI's (``job._gate``)
            return None
        return command_limits(settings).admit(row.installation_id)

    def wait_delay(row: PRCommand, exc: BaseException, default: float) -> float:
        if isinstance(exc, GitHubRateLimited):
            paused = limits_for(get_runtime().settings).pauses.remaining(row.installation_id)
            return max(default, paused)
        return default

    return WorkKind(
        name=COMMAND,
        table=COMMANDS,
        handle=handle,
        describe=_describe,
        context=_context,
        admit=admit,
        wait_delay=wait_delay,
    )


def _describe(row: PRCommand) -> str:
    who = f" by {row.author}" if row.author else ""
    return f"{row.repo_name}#{row.pr_number} {row.name}{who}"


def _context(row: PRCommand) -> dict[str, Any]:
    return {
        "repo": row.repo_name,
        "pr": row.pr_number,
        "installation_id": row.installation_id,
        "delivery_id": row.delivery_id,
        "command": row.name,
    }

"""Why a review ran, in three words: ``push``, ``command`` or ``rerun``.

A review row keeps its precise trigger (``reviews.trigger``): the delivery's event and
action (``pull_request.synchronize``, ``check_run.rerequested``) or the command that asked
for it (``comment.review``, ``comment.full-review``). The kinds group them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case

PUSH = "push"  # pull_request.* : opened, pushed to, reopened, ready for review
COMMAND = "command"  # comment.* : "@argus review" / "full review" in the PR
RERUN = "rerun"  # check_run.rerequested : "Re-run" on the ArgusAI review check
OTHER = "other"  # anything else (a review queued by hand or by an older version)

_PREFIXES = (("pull_request.", PUSH), ("comment.", COMMAND), ("check_run.", RERUN))


def trigger_kind(trigger: str | None) -> str:
    """The kind of a stored trigger."""
    for prefix, kind in _PREFIXES:
        if (trigger or "").startswith(prefix):
            return kind
    return OTHER


def trigger_kind_sql(column: Any) -> ColumnElement[str]:
    """:func:`trigger_kind` as a SQL expression over a trigger ``column``."""
    return case(
        *((column.startswith(prefix, autoescape=True), kind) for prefix, kind in _PREFIXES),
        else_=OTHER,
    )

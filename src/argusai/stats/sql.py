"""SQL pieces that read the same on SQLite and PostgreSQL: percentiles by nearest rank
(window functions, SQLite ≥ 3.25), milliseconds between two timestamps, rates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Float,
    Select,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.sql.expression import Subquery

#: the percentiles the queries report (p50, p95)
PERCENTILES = (50, 95)


def ranked(
    value: Any, where: Sequence[ColumnExpressionArgument[bool]], key: Any = None
) -> Subquery:
    """Rows ``(key, v, rn, n)``: each non-null ``value`` with its rank ``rn`` (1 = smallest)
    among the ``n`` values of its ``key`` (every row one group when ``key`` is None)."""
    partition = {"partition_by": key} if key is not None else {}
    columns: list[Any] = [] if key is None else [key.label("key")]
    return (
        select(
            *columns,
            value.label("v"),
            func.row_number().over(order_by=value, **partition).label("rn"),
            func.count().over(**partition).label("n"),
        )
        .where(value.is_not(None), *where)
        .subquery()
    )


def nearest_rank(sub: Subquery, pct: int) -> ColumnElement[Any]:
    """The ``pct``-th percentile of ``sub.v`` per group: the smallest value whose rank is
    at least ``pct`` % of the group's count (the nearest-rank definition, no interpolation)."""
    return func.min(case((sub.c.rn * 100 >= sub.c.n * pct, sub.c.v)))


def percentiles_by_key(sub: Subquery, pcts: Sequence[int] = PERCENTILES) -> Select[tuple[Any, ...]]:
    """``(key, p…)`` for each key of ``sub`` (made by :func:`ranked` with a key)."""
    return select(sub.c.key, *(nearest_rank(sub, p) for p in pcts)).group_by(sub.c.key)


def percentiles_overall(sub: Subquery, pcts: Sequence[int] = PERCENTILES) -> Select[Any]:
    """``(p…)`` over every row of ``sub`` (made by :func:`ranked` without a key)."""
    return select(*(nearest_rank(sub, p) for p in pcts))


def elapsed_ms(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    """Milliseconds from ``start`` to ``end`` (timestamp columns) in ``dialect``'s SQL."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start) * 1000.0, Float)
    # SQLite keeps timestamps as text that julianday() reads (fractions of a day)
    return cast((func.julianday(end) - func.julianday(start)) * 86_400_000.0, Float)


def count_if(condition: ColumnExpressionArgument[bool]) -> ColumnElement[int]:
    """How many rows of the group satisfy ``condition``."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def total(value: ColumnExpressionArgument[Any]) -> ColumnElement[Any]:
    """The sum of ``value`` over the group, 0 for none."""
    return func.coalesce(func.sum(value), 0)


def rate(part: int | float, whole: int | float) -> float | None:
    """``part / whole``, None when there is nothing to divide."""
    return part / whole if whole else None


def as_int(value: Any) -> int | None:
    """A percentile or average from the database as whole milliseconds (None stays None)."""
    return None if value is None else round(float(value))

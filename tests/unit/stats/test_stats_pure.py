"""The pure parts of ``argusai.stats``: periods, trigger kinds, CI failure categories and
how figures are printed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from argusai.errors import InputError
from argusai.stats.ci import NOT_EXPLAINED, UNCLASSIFIED, failure_category
from argusai.stats.period import Period, parse_period, parse_when
from argusai.stats.render import duration, percent, usd
from argusai.stats.triggers import trigger_kind

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def test_since_is_a_span_back_from_now_or_a_date() -> None:
    assert parse_when("7d", now=NOW) == datetime(2026, 3, 3, 15, 30, tzinfo=UTC)
    assert parse_when(" 24h ", now=NOW) == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    assert parse_when("2w", now=NOW) == datetime(2026, 2, 24, 15, 30, tzinfo=UTC)
    assert parse_when("2026-03-01", now=NOW) == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InputError, match="neither a span"):
        parse_when("yesterday", now=NOW)


def test_until_includes_its_whole_day_and_a_period_is_never_empty() -> None:
    period = parse_period("2026-03-01", "2026-03-02", now=NOW)
    assert (period.since, period.until) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 3, tzinfo=UTC),
    )
    assert list(period.days()) == [date(2026, 3, 1), date(2026, 3, 2)]
    assert parse_period("7d", now=NOW).until == NOW
    with pytest.raises(InputError, match="the period is empty"):
        parse_period("2026-03-05", "2026-03-01", now=NOW)


def test_a_period_touches_the_days_it_overlaps() -> None:
    period = Period.last(2, now=NOW)
    assert (period.first_day, period.last_day) == (date(2026, 3, 8), date(2026, 3, 10))
    whole = Period.of_days(date(2026, 3, 1), date(2026, 3, 1))
    assert (whole.first_day, whole.last_day) == (date(2026, 3, 1), date(2026, 3, 1))


@pytest.mark.parametrize(
    ("trigger", "kind"),
    [
        ("pull_request.opened", "push"),
        ("pull_request.synchronize", "push"),
        ("comment.review", "command"),
        ("comment.full-review", "command"),
        ("check_run.rerequested", "rerun"),
        ("", "other"),
        (None, "other"),
        ("pull_requestXopened", "other"),
    ],
)
def test_trigger_kinds(trigger: str | None, kind: str) -> None:
    assert trigger_kind(trigger) == kind


def test_a_failed_job_is_categorised_by_its_most_telling_evidence() -> None:
    explained = {"explanation": {"evidence": ["npm ERR! code 1", "Killed"]}}
    assert failure_category(explained) == "oom"
    assert failure_category({"explanation": {"evidence": ["    assert total == 4"]}}) == (
        "assertion"
    )
    assert failure_category({"explanation": {"evidence": ["all good here"]}}) == UNCLASSIFIED
    assert failure_category({"explanation": None, "note": "log gone"}) == NOT_EXPLAINED
    assert failure_category(None) == NOT_EXPLAINED


def test_figures_read_as_people_say_them() -> None:
    assert [duration(v) for v in (None, 850, 12_400, 185_000, 7_800_000)] == [
        "-",
        "850 ms",
        "12.4 s",
        "3 min 05 s",
        "2 h 10 min",
    ]
    assert [percent(v) for v in (None, 0.0, 0.034, 0.5, 1.0)] == [
        "-",
        "0 %",
        "3.4 %",
        "50 %",
        "100 %",
    ]
    assert (usd(0.00312), usd(1234.5)) == ("$0.0031", "$1,234.50")

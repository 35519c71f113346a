"""The analysis API's subscription tiers (seed 003's table): rate, quota and log size."""

from __future__ import annotations

from dataclasses import dataclass

from argusai.settings import Settings

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Tier:
    """Limits of one tier; ``None`` means unlimited."""

    name: str
    requests_per_minute: int | None
    requests_per_month: int | None
    max_log_bytes: int
    price: str


TIERS: dict[str, Tier] = {
    t.name: t
    for t in (
        Tier("free", 10, 1_000, 1 * MB, "$0"),
        Tier("starter", 100, 50_000, 50 * MB, "$29/mo"),
        Tier("pro", 1_000, 500_000, 500 * MB, "$99/mo"),
        Tier("enterprise", None, None, 5 * 1024 * MB, "custom"),
    )
}
DEFAULT_TIER = "free"


def tier_named(name: str) -> Tier:
    """The tier called ``name``; ValueError naming the known tiers otherwise."""
    try:
        return TIERS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown tier {name!r}: one of {', '.join(TIERS)}") from None


def max_log_bytes(tier: Tier, settings: Settings) -> int:
    """The largest log this tenant may send: the tier's limit capped by the server's."""
    return min(tier.max_log_bytes, settings.ci_max_log_bytes)


def monthly_quota(tier: Tier, override: int | None) -> int | None:
    """Requests per month: the organisation's own quota when set, else the tier's."""
    return override if override is not None else tier.requests_per_month

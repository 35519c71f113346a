"""How the arms of an experiment compare: reviews, findings, acceptance and dismissal
(with the 95 % interval of each arm's difference to the first arm), cost, latency and
failures per arm — what ``argus experiments show`` and the dashboard print.

No winner is named before every compared arm has ``MIN_DECIDED`` decided findings
(accepted or dismissed): with fewer, an interval is too wide to decide on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import func, select

from argusai.review import experiments
from argusai.review.experiment_models import Experiment
from argusai.stats.acceptance import acceptance_rates
from argusai.stats.period import Period
from argusai.stats.sql import count_if
from argusai.stats.twoprop import Comparison, compare
from argusai.store.db import Database
from argusai.store.models import Review, ReviewStatus, utcnow

#: decided findings (accepted + dismissed) each arm needs before a winner is named
MIN_DECIDED = 30


@dataclass(frozen=True)
class ArmFigures:
    """One arm's outcomes; the comparisons are to the first arm (None for the first)."""

    label: str
    arm: experiments.Arm
    share: int
    reviews: int
    failed: int
    findings: int
    posted: int
    accepted: int
    dismissed: int
    cost_usd: float
    avg_ms: int | None
    acceptance_vs_first: Comparison | None = None
    dismissal_vs_first: Comparison | None = None

    @property
    def decided(self) -> int:
        """Findings accepted or dismissed."""
        return self.accepted + self.dismissed

    @property
    def acceptance(self) -> float | None:
        """accepted / decided."""
        return self.accepted / self.decided if self.decided else None

    @property
    def dismissal(self) -> float | None:
        """dismissed / posted inline."""
        return self.dismissed / self.posted if self.posted else None

    @property
    def findings_per_review(self) -> float | None:
        """Findings posted inline per done review."""
        return self.findings / self.reviews if self.reviews else None

    @property
    def cost_per_review(self) -> float | None:
        """Dollars per done review."""
        return self.cost_usd / self.reviews if self.reviews else None


@dataclass(frozen=True)
class ExperimentReport:
    """An experiment, its arms' figures and the verdict."""

    experiment: Experiment
    arms: list[ArmFigures]
    verdict: str
    leader: str | None  # the arm the figures favour, once the sample is large enough


def report(db: Database, row: Experiment) -> ExperimentReport:
    """The figures of every arm of ``row`` since it started."""
    labels = {f"{row.name}/{a.name}": a for a in experiments.arms_of(row)}
    done = Review.status == ReviewStatus.DONE.value
    query = (
        select(
            Review.experiment_arm,
            count_if(done),
            count_if(Review.status == ReviewStatus.FAILED.value),
            func.coalesce(func.sum(Review.comments_count), 0),
            func.coalesce(func.sum(Review.cost_usd), 0.0),
            func.avg(Review.total_ms),
        )
        .where(Review.experiment_arm.in_(list(labels)))
        .group_by(Review.experiment_arm)
    )
    with db.session() as s:
        rows = {r[0]: r[1:] for r in s.execute(query).all()}
    period = Period(row.created_at, utcnow() + timedelta(seconds=1))
    outcomes = {a.key: a for a in acceptance_rates(db, period, by="experiment_arm")}
    arms: list[ArmFigures] = []
    for (label, arm), share in zip(labels.items(), row.split, strict=True):
        reviews, failed, findings, cost, avg_ms = rows.get(label, (0, 0, 0, 0.0, None))
        o = outcomes.get(label)
        figures = ArmFigures(
            label=label,
            arm=arm,
            share=share,
            reviews=int(reviews),
            failed=int(failed),
            findings=int(findings),
            posted=o.posted if o else 0,
            accepted=o.accepted if o else 0,
            dismissed=o.dismissed if o else 0,
            cost_usd=float(cost),
            avg_ms=int(avg_ms) if avg_ms is not None else None,
        )
        arms.append(figures)
    arms = arms[:1] + [_compared(a, arms[0]) for a in arms[1:]]
    verdict, leader = _verdict(arms)
    return ExperimentReport(row, arms, verdict, leader)


def _compared(arm: ArmFigures, first: ArmFigures) -> ArmFigures:
    return replace(
        arm,
        acceptance_vs_first=compare(first.accepted, first.decided, arm.accepted, arm.decided),
        dismissal_vs_first=compare(first.dismissed, first.posted, arm.dismissed, arm.posted),
    )


def _verdict(arms: list[ArmFigures]) -> tuple[str, str | None]:
    short = [a.arm.name for a in arms if a.decided < MIN_DECIDED]
    if short:
        return (
            f"no winner yet: each arm needs {MIN_DECIDED} decided findings "
            f"(short: {', '.join(short)})",
            None,
        )
    better = [
        a
        for a in arms[1:]
        if a.acceptance_vs_first is not None and a.acceptance_vs_first.significant
    ]
    ups = [a for a in better if a.acceptance_vs_first and a.acceptance_vs_first.diff > 0]
    if ups:
        best = max(ups, key=lambda a: a.acceptance or 0.0)
        return f"{best.arm.name} is accepted more often than {arms[0].arm.name} (p < 0.05)", (
            best.arm.name
        )
    if better and len(better) == len(arms) - 1:
        return f"{arms[0].arm.name} is accepted more often than every other arm (p < 0.05)", (
            arms[0].arm.name
        )
    return "no significant difference in acceptance between the arms (95 %)", None


def arm_text(arm: experiments.Arm) -> str:
    """``model=gpt-4o, template=strict`` (what the arm changes)."""
    parts = [
        f"model={arm.model}" if arm.model else "",
        f"fallback={arm.fallback_model}" if arm.fallback_model else "",
        f"template={arm.template}" if arm.template else "",
        f"verify={'on' if arm.verify else 'off'}" if arm.verify is not None else "",
    ]
    return ", ".join(p for p in parts if p) or "defaults"


def pct(value: float | None) -> str:
    """A rate as a percentage, ``–`` when unknown."""
    return "–" if value is None else f"{value * 100:.1f} %"


def interval(c: Comparison | None) -> str:
    """The difference to the first arm and its 95 % interval, in points."""
    if c is None:
        return "–"
    return f"{c.diff * 100:+.1f} pts [{c.low * 100:+.1f}, {c.high * 100:+.1f}] (p={c.p_value:.3f})"

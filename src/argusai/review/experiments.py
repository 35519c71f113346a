"""A/B experiments of models and prompt templates: which arm a pull request is in, and
what that arm changes in its review.

Assignment is stable: sha256 of (experiment, repository, PR number) gives a bucket 0–99,
and the split's cumulative percentages give the arm, so every push of a PR stays in one
arm. The first running experiment whose scope holds the repository applies; with none,
the winner an experiment promoted (``promote``) is the default of the repositories in
its scope. An arm changes the model (and its fallback), the prompt template and the
verification pass: the template and the switch are a config layer over every other
(so they are in the review cache key), the model is the runtime's (also in the key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from argusai.errors import InputError
from argusai.review.experiment_models import Experiment
from argusai.runtime import Runtime
from argusai.store.db import Database
from argusai.store.models import Review, utcnow

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")
_EXPERIMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_TEMPLATE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SWITCH = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


@dataclass(frozen=True)
class Arm:
    """One arm: what its reviews use instead of the defaults (None: the default)."""

    name: str
    model: str | None = None
    fallback_model: str | None = None
    template: str | None = None
    verify: bool | None = None

    def layer(self) -> dict[str, Any]:
        """The config keys this arm sets (validated like any layer's)."""
        values: dict[str, Any] = {}
        if self.template is not None:
            values["prompt_template"] = self.template
        if self.verify is not None:
            values["verify"] = self.verify
        return values

    def as_json(self) -> dict[str, Any]:
        """The arm as stored."""
        return dataclasses.asdict(self)


def parse_arm(text: str) -> Arm:
    """``a:model=gpt-4o,fallback=gpt-4o-mini,template=strict,verify=off`` → an Arm."""
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not _NAME.match(name):
        raise InputError(f"an arm wants NAME:key=value,…; {name!r} is not a name (≤ 20 chars)")
    values: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))) if sep else ():
        key, eq, value = (x.strip() for x in part.partition("="))
        if not eq or not value:
            raise InputError(f"arm {name}: {part!r} is not key=value")
        if key in {"model", "fallback", "fallback_model"}:
            values["fallback_model" if key != "model" else "model"] = value
        elif key == "template":
            if value != "default" and not _TEMPLATE.match(value):
                raise InputError(f"arm {name}: {value!r} is not a template name")
            values["template"] = None if value == "default" else value
        elif key == "verify":
            if value.lower() not in _SWITCH:
                raise InputError(f"arm {name}: verify is on or off, not {value!r}")
            values["verify"] = _SWITCH[value.lower()]
        else:
            raise InputError(f"arm {name}: unknown key {key!r} (model, fallback, template, verify)")
    return Arm(name=name, **values)


def parse_split(text: str | None, arms: int) -> list[int]:
    """``50,50`` → [50, 50]; an even split when not given; must sum to 100."""
    if not text:
        even = [100 // arms] * arms
        even[0] += 100 - sum(even)
        return even
    try:
        split = [int(p) for p in text.split(",")]
    except ValueError:
        raise InputError(f"--split wants percentages like 50,50, not {text!r}") from None
    if len(split) != arms or sum(split) != 100 or min(split) < 0:
        raise InputError(f"--split wants {arms} percentages summing to 100, not {text!r}")
    return split


def bucket(experiment: str, repo: str, pr_number: int) -> int:
    """The PR's bucket, 0–99, the same for every push."""
    key = f"{experiment}\x1f{repo.lower()}\x1f{pr_number}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 100


def pick(split: list[int], value: int) -> int:
    """The index of the arm whose share of 0–99 holds ``value``."""
    edge = 0
    for index, share in enumerate(split):
        edge += share
        if value < edge:
            return index
    return len(split) - 1


@dataclass(frozen=True)
class Assignment:
    """The arm a review uses; ``label`` ("experiment/arm") None for a promoted default."""

    arm: Arm
    label: str | None

    def runtime(self, rt: Runtime) -> Runtime:
        """``rt`` with the arm's model (a client for it from ``rt.model_llm_factory``)."""
        if self.arm.model is None and self.arm.fallback_model is None:
            return rt
        settings = rt.settings.model_copy(
            update={
                "llm_model": self.arm.model or rt.settings.llm_model,
                "llm_fallback_model": self.arm.fallback_model or rt.settings.llm_fallback_model,
            }
        )
        return rt.with_llm_settings(settings)


def _arms(row: Experiment) -> list[Arm]:
    return [Arm(**a) for a in row.arms]


def _in_scope(row: Experiment, repo: str, installation_id: int) -> bool:
    scope = [s.lower() for s in row.scope]
    return not scope or repo.lower() in scope or str(installation_id) in scope


def assign(db: Database, repo: str, installation_id: int, pr_number: int) -> Assignment | None:
    """The arm of this PR's review: the first running experiment in scope, else the most
    recently promoted winner in scope, else None (the defaults)."""
    with db.session() as s:
        rows = list(s.scalars(select(Experiment).order_by(Experiment.id)))
    for row in rows:
        if row.status == "running" and _in_scope(row, repo, installation_id):
            arm = _arms(row)[pick(row.split, bucket(row.name, repo, pr_number))]
            return Assignment(arm, f"{row.name}/{arm.name}")
    promoted = [r for r in rows if r.winner and _in_scope(r, repo, installation_id)]
    if promoted:
        row = max(promoted, key=lambda r: (r.stopped_at or r.created_at, r.id))
        return Assignment(next(a for a in _arms(row) if a.name == row.winner), None)
    return None


def record_arm(db: Database, review_id: int, label: str | None) -> None:
    """Note the arm on the review row (the statistics group by it)."""
    with db.session() as s:
        s.execute(update(Review).where(Review.id == review_id).values(experiment_arm=label))


def create(
    db: Database, name: str, arms: list[Arm], split: list[int], scope: list[str]
) -> Experiment:
    """A new running experiment; ``InputError`` for a taken name or a bad arm list."""
    if not _EXPERIMENT.match(name):
        raise InputError(f"{name!r} is not an experiment name (letters, digits, ._-, ≤ 40)")
    if len(arms) < 2 or len({a.name for a in arms}) != len(arms):
        raise InputError("an experiment wants at least two arms with different names")
    with db.session() as s:
        if s.scalar(select(Experiment.id).where(Experiment.name == name)) is not None:
            raise InputError(f"an experiment named {name!r} exists already")
        row = Experiment(
            name=name, arms=[a.as_json() for a in arms], split=split, scope=scope, status="running"
        )
        s.add(row)
        s.flush()
        s.expunge(row)
    return row


def every(db: Database) -> list[Experiment]:
    """Every experiment, newest first."""
    with db.session() as s:
        rows = list(s.scalars(select(Experiment).order_by(Experiment.id.desc())))
        s.expunge_all()
    return rows


def get(db: Database, name: str) -> Experiment:
    """The experiment named ``name``; ``InputError`` when there is none."""
    with db.session() as s:
        row = s.scalar(select(Experiment).where(Experiment.name == name))
        if row is None:
            raise InputError(f"no experiment named {name!r}")
        s.expunge(row)
    return row


def arms_of(row: Experiment) -> list[Arm]:
    """The experiment's arms."""
    return _arms(row)


def stop(db: Database, name: str, *, winner: str | None = None) -> Experiment:
    """Stop the experiment (new reviews use the defaults), naming its winner if given."""
    row = get(db, name)
    if winner is not None and winner not in {a.name for a in _arms(row)}:
        raise InputError(f"experiment {name!r} has no arm {winner!r}")
    with db.session() as s:
        stored = s.get(Experiment, row.id)
        assert stored is not None
        if stored.status == "running":
            stored.status, stored.stopped_at = "stopped", utcnow()
        if winner is not None:
            stored.winner = winner
        s.flush()
        s.expunge(stored)
    return stored

"""The ``experiments`` table: A/B tests of models and prompt templates (``experiments``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, utcnow


class Experiment(Base):
    """One experiment: its arms and split, where it applies, and how it ended."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    #: [{"name": "a", "model": …, "fallback_model": …, "template": …, "verify": …}, …]
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    split: Mapped[list[int]] = mapped_column(JSON)  # percentages, one per arm, sum 100
    #: repositories ("owner/name") and installation ids (as text); empty: everywhere
    scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | stopped
    winner: Mapped[str | None] = mapped_column(String(20))  # the promoted arm
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column()

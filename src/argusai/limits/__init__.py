"""Shared rate limits: pyrate-limiter buckets on the deployment's own store."""

from __future__ import annotations

from argusai.limits.backend import Backend, open_backend
from argusai.limits.limiter import RateLimiter
from argusai.limits.policy import Deferral, Limits, Pauses, limits_for

__all__ = ["Backend", "Deferral", "Limits", "Pauses", "RateLimiter", "limits_for", "open_backend"]

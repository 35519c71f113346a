"""Lenient models of webhook payloads: extra fields ignored, values bounded by their columns.

Out-of-range ids and over-long names are ignored (never a 5xx): they are what a column
could not hold. PostgreSQL text cannot hold NUL, so a value with one is invalid too.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_ID = 2**63
MAX_NUMBER = 2**31
MAX_NAME = 255
MAX_SHORT = 64


class Lenient(BaseModel):
    """A payload part: unknown fields ignored, strings with NUL refused."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("holds a NUL character")
        return value


class Installation(Lenient):
    id: int = Field(gt=0, lt=MAX_ID)


class InstalledEvent(Lenient):
    """An event payload of the App's: it names the installation it was sent for (GitHub
    leaves ``installation`` out of some deliveries; handlers decline those)."""

    installation: Installation | None = None


class Repo(Lenient):
    full_name: str = Field(min_length=3, max_length=MAX_NAME)


def bounded_str(value: object, limit: int) -> str | None:
    """``value`` when it is a string that fits ``limit`` and holds no NUL, else None."""
    if isinstance(value, str) and len(value) <= limit and "\x00" not in value:
        return value
    return None


def lacking(exc: ValidationError) -> str:
    """``payload lacks a.b, c`` naming the first five invalid fields."""
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
    return f"payload lacks {fields}"

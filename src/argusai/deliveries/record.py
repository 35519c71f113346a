"""Record a delivery once, with everything its intents write, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from argusai.core.router import Delivery, Intent, Recorded
from argusai.store.db import Database
from argusai.store.models import DeliveryStatus, WebhookDelivery


@dataclass(frozen=True)
class Outcome:
    """A redelivery (``duplicate``: nothing written), or what each intent recorded."""

    duplicate: bool
    recorded: tuple[Recorded, ...] = ()


def record(db: Database, delivery: Delivery, intents: Sequence[Intent]) -> Outcome:
    """The delivery row (its id is unique: a redelivery is recognised) and the intents' rows."""
    accepted = any(i.creates_work for i in intents)
    first = intents[0] if intents else None
    try:
        with db.session() as s:
            # Core statements, not ORM objects: this is the webhook's hot path
            s.execute(
                insert(WebhookDelivery).values(
                    delivery_id=delivery.delivery_id,
                    event=delivery.event,
                    action=delivery.action,
                    installation_id=first.installation_id if first else delivery.installation_id,
                    repo_name=first.repo_name if first else delivery.repo_name,
                    status=(DeliveryStatus.ACCEPTED if accepted else DeliveryStatus.IGNORED).value,
                )
            )
            recorded = tuple(i.record(s, delivery.delivery_id) for i in intents)
    except IntegrityError:
        return Outcome(duplicate=True)
    return Outcome(duplicate=False, recorded=recorded)

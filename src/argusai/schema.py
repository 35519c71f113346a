"""Every table of every feature on one metadata: what the migrations must build.

The store imports no feature, so this composition-layer module is the one place that
loads every feature's models (for ``alembic revision --autogenerate`` and the test that
the migrations and the models agree).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from argusai.ci import models as ci_models
from argusai.ciapi import models as ciapi_models
from argusai.cilog import models as cilog_models
from argusai.notify import models as notify_models
from argusai.review import experiment_models, operator_config
from argusai.review.conversation import models as conversation_models
from argusai.scout import models as scout_models
from argusai.stats import models as stats_models
from argusai.store import audit, heartbeats
from argusai.store.models import Base

#: importing these registers their tables on Base.metadata
TABLE_MODULES = (
    ci_models,
    ciapi_models,
    cilog_models,
    notify_models,
    scout_models,
    conversation_models,
    operator_config,
    experiment_models,
    heartbeats,
    stats_models,
    audit,
)


def metadata() -> MetaData:
    """The metadata holding every table (the store's own and each feature's)."""
    return Base.metadata

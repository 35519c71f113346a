"""History and analytics across the features: the daily rollup and the queries that the
CLI (``argus stats``) and the dashboard show. Reads several features' tables, so it sits
above them, beside the composition root."""

"""What ArgusAI tells its operators: Prometheus metrics of every process, Sentry errors."""

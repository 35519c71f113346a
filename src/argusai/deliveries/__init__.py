"""GitHub webhook deliveries that failed: asked for again (a periodic task)."""

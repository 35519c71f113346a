"""ASGI helpers shared by the web app and the features' routes (request bodies, middleware)."""

"""docker-compose.yml and Dockerfile hold together (no Docker engine here: structure only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_services_commands_and_dependencies() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["migrate"]["command"] == ["argus", "db", "upgrade"]
    assert services["web"]["command"][:3] == ["argus", "serve", "--no-worker"]
    assert services["worker"]["command"] == ["argus", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in ("web", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"] == {"condition": "service_completed_successfully"}
        assert deps["postgres"] == deps["redis"] == {"condition": "service_healthy"}
        env = services[name]["environment"]
        assert env["ARGUS_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["ARGUS_QUEUE_URL"].startswith("redis://redis:6379")
        assert services[name]["env_file"] == ".env"
    for name in ("postgres", "redis"):
        assert "test" in services[name]["healthcheck"]


def test_dockerfile_runs_as_non_root_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("# ") and "FROM python:3.11-slim" in text
    assert "\nUSER argus\n" in text and "pip install /tmp/dist/argusai-*.whl" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'CMD ["argus", "serve", "--host", "0.0.0.0"' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and "*.pem" in ignored

"""Sentry as ``argus serve``/``worker`` start it, in a process of its own (the SDK is global):
an error captured reaches the transport only through our ``before_send``. The transport is
replaced by one that keeps the events: nothing leaves the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json
import sentry_sdk
from sentry_sdk.transport import Transport
from argusai.settings import Settings
from argusai.telemetry.sentry import capture, init_sentry

sent = []

class Keep(Transport):
    def capture_envelope(self, envelope):
        sent.extend(i.payload.json for i in envelope.items if i.payload.json is not None)

    def flush(self, *args, **kwargs):
        pass

    def kill(self):
        pass

settings = Settings(
    _env_file=None,
    sentry_dsn="https://public@sentry.invalid/1",
    github_webhook_secret="whsec-process-test-0123",
    sentry_environment="test",
)
assert init_sentry(settings, role="worker")
client = sentry_sdk.get_client()
client.transport = Keep(client.options)

def handle(payload):
    raise RuntimeError("could not verify with whsec-process-test-0123")

try:
    handle({"pull_request": {"body": "private plans"}})
except RuntimeError as exc:
    capture(exc)
sentry_sdk.flush()
print(json.dumps({"sent": sent, "integrations": sorted(client.integrations)}))
"""


def test_a_captured_crash_is_scrubbed_before_it_is_sent(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "SENTRY_"))}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # the web framework's integration; none of the LLM SDKs' (they record prompts)
    assert {"fastapi", "starlette"} <= set(result["integrations"])
    assert not {"openai", "anthropic", "huey"} & set(result["integrations"])
    (event,) = result["sent"]
    text = json.dumps(event)
    assert "whsec-process-test-0123" not in text and "private plans" not in text
    (error,) = event["exception"]["values"]
    assert error["value"] == "could not verify with [redacted]"
    assert all("vars" not in frame for frame in error["stacktrace"]["frames"])
    assert event["tags"]["argus.process"] == "worker"
    assert event["environment"] == "test"

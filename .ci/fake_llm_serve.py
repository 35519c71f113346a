"""Serve the test suite's fake LLM on a loopback port until killed (for .ci/smoke.sh).

Every chat completion answers one finding on the first added line of the prompt's diff,
so the smoke test sees the whole path: diff → prompt → HTTP → JSON → anchored finding.
Writes the port to the file named by the first argument once listening.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.fake_llm import FakeLLMServer  # noqa: E402

FINDING = {
    "summary": "Adds greet(), which divides by zero.",
    "findings": [
        {
            "path": "hello.py",
            "line": 2,
            "severity": "high",
            "category": "bug",
            "title": "Division by zero",
            "message": "`1 / 0` raises ZeroDivisionError whenever greet() is called.",
        }
    ]
}


def main() -> None:
    with FakeLLMServer(lambda _request: FINDING) as fake:
        Path(sys.argv[1]).write_text(str(fake.base_url.rsplit(":", 1)[1]))
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()

"""Findings as a SARIF 2.1.0 log, for GitHub code scanning (``upload-sarif``).

One rule per finding category, one result per finding: its level from the severity
(critical/high → error, medium → warning, low/info → note), its place in the file, and
the finding's fingerprint as a partial fingerprint, so code scanning follows an alert
across pushes as the summary does. LLM text is data here too: it passes the redactor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from argusai.core.secrets import Redactor
from argusai.review.fingerprint import fingerprint
from argusai.review.models import Category, Finding, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/argusai/argusai"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_MAX_MESSAGE = 8000


def rule_id(category: Category) -> str:
    """The SARIF rule of a category: ``argusai/security``."""
    return f"argusai/{category.value}"


def to_sarif(findings: Sequence[Finding], *, version: str, redactor: Redactor) -> dict[str, Any]:
    """The SARIF log of ``findings`` (an empty ``results`` list when there are none)."""
    categories = list(Category)
    rules = [
        {
            "id": rule_id(c),
            "name": f"ArgusAI{c.value.title()}",
            "shortDescription": {"text": f"ArgusAI review: {c.value} finding"},
            "fullDescription": {
                "text": f"A {c.value} problem found by ArgusAI's LLM review or its checks."
            },
            "helpUri": INFORMATION_URI,
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": sorted({"argusai", c.value})},
        }
        for c in categories
    ]
    results = [_result(f, categories.index(f.category), redactor) for f in findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ArgusAI",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "argusai/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _result(finding: Finding, index: int, redactor: Redactor) -> dict[str, Any]:
    text = redactor.redact(f"{finding.title}\n\n{finding.message}".strip())[:_MAX_MESSAGE]
    location: dict[str, Any] = {
        "artifactLocation": {"uri": finding.path.lstrip("/"), "uriBaseId": "%SRCROOT%"}
    }
    if finding.line >= 1:
        start = finding.start_line if finding.start_line and finding.start_line >= 1 else None
        start = start if start is not None and start <= finding.line else finding.line
        location["region"] = {"startLine": start, "endLine": finding.line}
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "category": finding.category.value,
        "source": finding.source,
    }
    return {
        "ruleId": rule_id(finding.category),
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": text or finding.category.value},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"argusaiFingerprint/v1": fingerprint(finding)},
        "properties": properties,
    }


def write_sarif(path: Path, log: dict[str, Any]) -> None:
    """Write the log as UTF-8 JSON (the folder is made when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(log, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

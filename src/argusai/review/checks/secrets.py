"""Secrets on added lines, found with detect-secrets' detectors — in memory, no network.

Only the token-shaped detectors run: the high-entropy string plugins flag every hash and
commit SHA, the keyword plugin every ``password = ...`` in tests and templates, and the
public-IP plugin is not about secrets — noise that makes teams mute a review bot.
Detectors are called through ``analyze_string`` directly: detect-secrets' scan functions
read and change its process-wide settings, and may *verify* a secret over the network.

A finding names the secret's type and a masked form (``AKIA…LE``); the value itself is never
put in a finding. A line carrying ``pragma: allowlist secret`` (or the line after
``pragma: allowlist nextline secret``) is skipped, as is a secret whose SHA-1 — the
``hashed_secret`` of a detect-secrets baseline — is in the repository's allowlist.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.filters.allowlist import is_line_allowlisted
from detect_secrets.filters.heuristic import is_lock_file
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.util.code_snippet import get_code_snippet

from argusai.review.checks.base import CheckFile
from argusai.review.diff import ADDED
from argusai.review.models import Category, Finding, Severity

DETECTORS: tuple[type[RegexBasedDetector], ...] = (
    ArtifactoryDetector,
    AWSKeyDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    CloudantDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    IbmCloudIamDetector,
    IbmCosHmacDetector,
    JwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PrivateKeyDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SoftlayerDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)
# often example URLs (https://user:pass@localhost) and test fixtures
_HIGH_ONLY = frozenset({"Basic Auth Credentials", "JSON Web Token"})
# what the private-key detector matches is the BEGIN line: no value to mask
_NO_VALUE = frozenset({"Private Key"})
# below this length a masked form or a SHA-1 gives too much away (brute force)
_SHOW_FROM = 16


def secret_hash(value: str) -> str:
    """detect-secrets' ``hashed_secret`` of a value (what an allowlist lists)."""
    return PotentialSecret.hash_secret(value)


def mask(value: str) -> str:
    """``AKIA…LE``: the first four and last two characters of a long value, else ``…``."""
    if len(value) >= _SHOW_FROM:
        return f"{value[:4]}…{value[-2:]}"
    return "…"


def allowlist_from_baseline(text: str) -> frozenset[str]:
    """The ``hashed_secret`` values of a detect-secrets baseline (``.secrets.baseline``);
    an empty set for text that is not one."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        return frozenset()
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        return frozenset()
    return frozenset(
        entry["hashed_secret"].lower()
        for entries in results.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("hashed_secret"), str)
    )


class SecretsCheck:
    """Secrets on added lines (detect-secrets' token detectors)."""

    name = "secrets"

    def __init__(self, allowlist: Iterable[str] = ()) -> None:
        self.allowlist = frozenset(h.strip().lower() for h in allowlist)
        self._detectors = [detector() for detector in DETECTORS]

    def run(self, files: Sequence[CheckFile]) -> list[Finding]:
        """One finding per distinct secret value and line."""
        findings: list[Finding] = []
        for f in files:
            if is_lock_file(f.path):  # integrity hashes, not secrets
                continue
            for hunk in f.diff.hunks:
                right = [ln.text for ln in hunk.lines if ln.new_no is not None]
                index = 0
                for ln in hunk.lines:
                    if ln.new_no is None:
                        continue
                    index += 1
                    if ln.kind == ADDED:
                        findings += self._line(f.path, ln.new_no, ln.text, right, index)
        return findings

    def _line(
        self, path: str, line_no: int, text: str, right: list[str], index: int
    ) -> list[Finding]:
        hits: dict[str, str] = {}  # value → type (first detector wins)
        for detector in self._detectors:
            for value in detector.analyze_string(text):
                hits.setdefault(value, detector.secret_type)
        if not hits or is_line_allowlisted(path, text, get_code_snippet(right, index)):
            return []
        return [
            _finding(path, line_no, kind, value)
            for value, kind in hits.items()
            if secret_hash(value) not in self.allowlist
        ]


def _finding(path: str, line: int, kind: str, value: str) -> Finding:
    shown = "" if kind in _NO_VALUE else f" ({mask(value)})"
    if kind not in _NO_VALUE and len(value) >= _SHOW_FROM:
        allow = f"add its fingerprint `{secret_hash(value)}` to the repository's allowlist"
    else:
        allow = "list it in the repository's detect-secrets baseline"
    return Finding(
        path=path,
        line=line,
        severity=Severity.HIGH if kind in _HIGH_ONLY else Severity.CRITICAL,
        category=Category.SECURITY,
        title=f"Possible secret: {kind}{shown}",
        message=(
            f"This added line contains what looks like a {kind}{shown}. Once pushed, treat it "
            "as leaked: revoke or rotate it, remove it from the branch history, and load it "
            "from the environment or a secret store instead. If it is not a secret, add "
            f"`pragma: allowlist secret` in a comment on the line or {allow}."
        ),
        source="check",
    )

"""Secrets on added lines: found, masked, never echoed; allowlists honoured."""

from __future__ import annotations

import json
import logging

import pytest
from structlog.testing import capture_logs

from argusai.core.diff import ChangedFile
from argusai.core.secrets import EMPTY_REDACTOR
from argusai.review.checks import SecretsCheck, allowlist_from_baseline, check_files
from argusai.review.checks.secrets import mask, secret_hash
from argusai.review.engine import PRContext, ReviewOutcome, finalize, plan_review
from argusai.review.models import Category, Finding, Severity
from argusai.review.repo_config import RepoConfig

# built from parts so that secret scanners do not flag this test file itself
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"
KEY_BODY = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
]
PEM = ["-----BEGIN RSA " + "PRIVATE KEY-----", *KEY_BODY, "-----END RSA PRIVATE KEY-----"]


def added(path: str, *lines: str, status: str = "added") -> ChangedFile:
    body = "\n".join(f"+{line}" for line in lines)
    return ChangedFile(path, status, len(lines), 0, f"@@ -0,0 +1,{len(lines)} @@\n{body}")


def scan(*files: ChangedFile, allowlist: tuple[str, ...] = ()) -> list[Finding]:
    return SecretsCheck(allowlist).run(check_files(files))


def text_of(finding: Finding) -> str:
    return " ".join([finding.title, finding.message, finding.suggestion or ""])


def test_aws_key_is_found_masked_and_never_echoed() -> None:
    (finding,) = scan(added("app/settings.py", "import os", f'AWS_KEY = "{AWS_KEY}"'))
    assert (finding.path, finding.line) == ("app/settings.py", 2)
    assert finding.source == "check"
    assert finding.category == Category.SECURITY and finding.severity == Severity.CRITICAL
    assert "AWS Access Key" in finding.title and "AKIA…LE" in finding.title
    assert AWS_KEY not in text_of(finding)
    assert secret_hash(AWS_KEY) in finding.message  # what to allowlist


def test_private_key_block_is_found_once_without_its_body() -> None:
    (finding,) = scan(added("deploy/id_rsa", *PEM))
    assert finding.line == 1 and finding.title == "Possible secret: Private Key"
    assert not any(part in text_of(finding) for part in KEY_BODY)


def test_short_values_are_not_shown_even_masked() -> None:
    (finding,) = scan(added("a.py", 'URL = "https://bob:pw2024x@db.internal/x"'))
    assert "Basic Auth" in finding.title and finding.severity == Severity.HIGH
    assert "pw2024x" not in text_of(finding) and secret_hash("pw2024x") not in text_of(finding)


@pytest.mark.parametrize(
    "lines",
    [
        [f'AWS_KEY = "{AWS_KEY}"  # pragma: allowlist secret'],
        ["// pragma: allowlist nextline secret", f'const k = "{AWS_KEY}";'],
    ],
)
def test_allowlist_pragma_is_honoured(lines: list[str]) -> None:
    assert scan(added("src/k.js", *lines)) == []


def test_repository_allowlist_of_fingerprints_is_honoured() -> None:
    f = added("app/settings.py", f'AWS_KEY = "{AWS_KEY}"')
    assert scan(f, allowlist=(secret_hash(AWS_KEY).upper(),)) == []
    baseline = json.dumps(
        {"results": {"old.py": [{"type": "AWS Access Key", "hashed_secret": secret_hash(AWS_KEY)}]}}
    )
    assert scan(f, allowlist=tuple(allowlist_from_baseline(baseline))) == []
    assert allowlist_from_baseline("not json") == frozenset()


def test_only_added_lines_and_no_lock_files() -> None:
    context_only = ChangedFile(
        "a.py", "modified", 1, 0, f'@@ -1,1 +1,2 @@\n KEY = "{AWS_KEY}"\n+x = 1'
    )
    assert scan(context_only) == []
    assert scan(added("poetry.lock", f'hash = "{AWS_KEY}"')) == []
    assert scan(added("a.py", "sha = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'")) == []


def test_mask() -> None:
    assert mask("abcdefghijklmnopqr") == "abcd…qr"
    assert mask("short") == "…"


def test_the_secret_reaches_no_comment_summary_or_log(caplog: pytest.LogCaptureFixture) -> None:
    files = [added("app/settings.py", f'AWS_KEY = "{AWS_KEY}"'), added("deploy/key.pem", *PEM)]
    ctx = PRContext(repo="acme/shop", number=1, head_sha="1" * 40)
    with capture_logs() as logs, caplog.at_level(logging.DEBUG):
        plan = plan_review(files, RepoConfig())
        result = finalize(ReviewOutcome(ctx=ctx), plan, RepoConfig(), redactor=EMPTY_REDACTOR)
    assert len(result.inline_comments) == 2
    posted = " ".join([result.summary, *(c.body for c in result.inline_comments)])
    assert "deterministic check" in posted
    logged = repr(logs) + caplog.text
    for raw in [AWS_KEY, *KEY_BODY]:
        assert raw not in posted and raw not in logged

"""The webhook endpoint: what GitHub (or an attacker) gets back, and what is stored/queued."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from argusai.runtime import Runtime
from argusai.store.models import Review, WebhookDelivery
from argusai.web.app import create_app
from tests.conftest import SHARED, make_settings, shared_path
from tests.fakes.keys import generate_rsa_keypair
from tests.support import WEBHOOK_SECRET, app_client, deliver, load_fixture, make_runtime


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    private_pem, _ = generate_rsa_keypair()
    settings = make_settings(
        tmp_path,
        github_app_id=1234,
        github_private_key=private_pem,
        github_webhook_secret=WEBHOOK_SECRET,
    )
    return make_runtime(settings)


def _count(rt: Runtime, model: type) -> int:
    with rt.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _pr_payload() -> dict[str, object]:
    shared_path("fixtures", "webhooks")
    return load_fixture(SHARED, "pull_request", "opened.json")


def test_signed_pull_request_is_recorded_queued_and_answered_202(rt: Runtime) -> None:
    client = app_client(rt)
    response = deliver(client, "pull_request", _pr_payload(), delivery_id="d-1")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert rt.huey.pending_count() == 1
    with rt.db.session() as s:
        review = s.scalars(select(Review)).one()
        assert (review.repo_name, review.pr_number, review.status) == (
            "Codertocat/Hello-World",
            2,
            "queued",
        )
        assert review.sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
        assert review.installation_id == 1
        assert review.dispatched_at is not None


def test_redelivered_duplicate_creates_no_second_job(rt: Runtime) -> None:
    client = app_client(rt)
    payload = _pr_payload()
    assert deliver(client, "pull_request", payload, delivery_id="same").status_code == 202
    again = deliver(client, "pull_request", payload, delivery_id="same")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert _count(rt, Review) == 1
    assert rt.huey.pending_count() == 1


def test_same_head_from_another_event_is_not_reviewed_twice(rt: Runtime) -> None:
    client = app_client(rt)
    payload = _pr_payload()
    deliver(client, "pull_request", payload)
    payload["action"] = "reopened"
    response = deliver(client, "pull_request", payload)
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert _count(rt, Review) == 1


def test_new_push_supersedes_the_queued_review(rt: Runtime) -> None:
    client = app_client(rt)
    payload = _pr_payload()
    deliver(client, "pull_request", payload)
    pr = payload["pull_request"]
    assert isinstance(pr, dict)
    pr["head"]["sha"] = "b" * 40
    payload["action"] = "synchronize"
    assert deliver(client, "pull_request", payload).json()["status"] == "queued"
    with rt.db.session() as s:
        statuses = dict(s.execute(select(Review.sha, Review.status)).all())
    assert statuses == {
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821": "superseded",
        "b" * 40: "queued",
    }


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_bad_or_missing_signature_is_401_and_stores_nothing(rt: Runtime, signature: str) -> None:
    response = deliver(app_client(rt), "pull_request", _pr_payload(), signature=signature)
    assert response.status_code == 401
    assert _count(rt, WebhookDelivery) == 0
    assert rt.huey.pending_count() == 0


def test_signature_with_another_secret_is_401(rt: Runtime) -> None:
    response = deliver(app_client(rt), "pull_request", _pr_payload(), secret="not the secret")
    assert response.status_code == 401


def test_malformed_json_is_400(rt: Runtime) -> None:
    for body in (b"{not json", b"\xff\xfe\x00", b"[1, 2]", b""):
        response = deliver(app_client(rt), "pull_request", body)
        assert response.status_code == 400, body
        assert "Traceback" not in response.text
    assert _count(rt, WebhookDelivery) == 0


def test_oversized_body_is_413_before_anything_else(tmp_path: Path) -> None:
    private_pem, _ = generate_rsa_keypair()
    settings = make_settings(
        tmp_path,
        github_app_id=1,
        github_private_key=private_pem,
        github_webhook_secret=WEBHOOK_SECRET,
        max_webhook_bytes=1000,
    )
    rt = make_runtime(settings)
    body = json.dumps({"action": "opened", "pad": "x" * 2000}).encode()
    response = deliver(app_client(rt), "pull_request", body)
    assert response.status_code == 413
    assert _count(rt, WebhookDelivery) == 0


def test_default_limit_is_25_mb(rt: Runtime) -> None:
    assert rt.settings.max_webhook_bytes == 25 * 1024 * 1024
    body = b"{" + b" " * (25 * 1024 * 1024) + b"}"
    assert deliver(app_client(rt), "pull_request", body).status_code == 413


def test_ping_is_200(rt: Runtime) -> None:
    payload = load_fixture(shared_path("."), "ping", "ping.json")
    response = deliver(app_client(rt), "ping", payload)
    assert response.status_code == 200
    assert response.json()["status"] == "pong"


@pytest.mark.parametrize(
    ("event", "fixture"),
    [
        ("issues", "opened.json"),
        ("push", "push.json"),
        ("pull_request", "closed.json"),
        ("pull_request", "labeled.json"),
        ("check_run", "completed.json"),
    ],
)
def test_unknown_or_disabled_events_are_ignored_with_2xx(
    rt: Runtime, event: str, fixture: str
) -> None:
    payload = load_fixture(shared_path("."), event, fixture)
    response = deliver(app_client(rt), event, payload)
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert _count(rt, Review) == 0
    assert rt.huey.pending_count() == 0


def test_draft_pull_requests_are_skipped_by_default(rt: Runtime) -> None:
    payload = _pr_payload()
    pr = payload["pull_request"]
    assert isinstance(pr, dict)
    pr["draft"] = True
    response = deliver(app_client(rt), "pull_request", payload)
    assert response.json() == {"status": "ignored", "reason": "draft pull request"}


def test_old_payload_lacking_fields_is_tolerated(rt: Runtime) -> None:
    payload = load_fixture(shared_path("."), "pull_request", "edited.json")
    response = deliver(app_client(rt), "pull_request", payload)
    assert response.status_code == 202


def test_unconfigured_server_answers_503_and_never_accepts(tmp_path: Path) -> None:
    rt = make_runtime(make_settings(tmp_path))
    client = app_client(rt)
    response = deliver(client, "pull_request", _pr_payload())
    assert response.status_code == 503
    assert "ARGUS_GITHUB_WEBHOOK_SECRET" in response.json()["missing"]
    unsigned = client.post(
        "/webhooks/github",
        content=b"{}",
        headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "x"},
    )
    assert unsigned.status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["checks"]["database"]["ok"] and body["checks"]["queue"]["ok"]
    assert "ARGUS_GITHUB_APP_ID" in body["checks"]["github_app"]["missing"]
    assert _count(rt, WebhookDelivery) == 0


def test_queue_down_keeps_the_delivery_for_the_sweeper(rt: Runtime, tmp_path: Path) -> None:
    client = app_client(rt)
    # break the queue after the app is built: enqueue raises, the item must survive
    rt.huey.storage.filename = str(tmp_path / "missing-dir" / "queue.db")
    response = deliver(client, "pull_request", _pr_payload())
    assert response.status_code == 202
    with rt.db.session() as s:
        review = s.scalars(select(Review)).one()
        assert review.status == "queued"
        assert review.dispatched_at is None


def test_health_and_metrics(rt: Runtime) -> None:
    client = app_client(rt)
    assert client.get("/healthz").json() == {"status": "ok"}
    deliver(client, "pull_request", _pr_payload())
    assert client.get("/metrics").status_code == 404  # no token set: loopback clients only
    loopback = TestClient(client.app, client=("127.0.0.1", 50000))
    metrics = loopback.get("/metrics").text
    assert 'argus_webhook_deliveries_total{outcome="queued"} 1.0' in metrics


def test_installation_events_are_recorded_even_when_not_enabled(rt: Runtime) -> None:
    from argusai.store.models import Installation, Repository

    client = app_client(rt)
    created = load_fixture(shared_path("."), "installation", "created.json")
    assert deliver(client, "installation", created).status_code == 202
    inst_id = created["installation"]["id"]
    with rt.db.session() as s:
        row = s.get(Installation, inst_id)
        assert row is not None
        assert row.account_login == created["installation"]["account"]["login"]
        repos = set(s.scalars(select(Repository.full_name)))
    assert repos == {r["full_name"] for r in created["repositories"]}

    removed = load_fixture(shared_path("."), "installation_repositories", "removed.json")
    removed["installation"]["id"] = inst_id
    deliver(client, "installation_repositories", removed)
    with rt.db.session() as s:
        left = set(s.scalars(select(Repository.full_name)))
    assert left == repos - {r["full_name"] for r in removed["repositories_removed"]}

    deleted = load_fixture(shared_path("."), "installation", "deleted.json")
    deleted["installation"]["id"] = inst_id
    deliver(client, "installation", deleted)
    with rt.db.session() as s:
        assert s.get(Installation, inst_id) is None


@pytest.mark.parametrize(
    ("event", "body"),
    [
        ("pull_request", b'{"action": "\\ud800", "repository": {"full_name": "a/b"}}'),
        (
            "installation",
            b'{"action": "created", "installation": {"id": 7, "account": '
            b'{"login": "x\\udfff"}}, "repositories": [{"full_name": "o/\\ud83d"}]}',
        ),
        ("workflow_run", b'{"action": "completed", "x": {"\\udc00": 1}}'),
    ],
)
def test_lone_surrogate_is_400_and_nothing_is_written(rt: Runtime, event: str, body: bytes) -> None:
    client = TestClient(create_app(rt), raise_server_exceptions=False)
    response = deliver(client, event, body)
    assert response.status_code == 400, response.text
    assert response.json() == {"status": "bad_text", "detail": "payload is not valid UTF-8 text"}
    assert _count(rt, WebhookDelivery) == 0
    assert _count(rt, Review) == 0
    assert rt.huey.pending_count() == 0


def test_surrogate_pairs_and_escaped_backslashes_are_fine(rt: Runtime) -> None:
    client = app_client(rt)
    for body in (
        b'{"action": "opened", "title": "\\ud83d\\ude00 ok"}',  # an emoji, as a pair
        b'{"action": "opened", "title": "C:\\\\ud800 is a path"}',  # not an escape at all
    ):
        assert deliver(client, "issues", body).status_code == 202
    assert _count(rt, WebhookDelivery) == 2


def test_nul_in_stored_fields_is_dropped_not_stored(rt: Runtime) -> None:
    payload = _pr_payload()
    payload["repository"]["full_name"] = "Codertocat/Hello\x00World"  # type: ignore[index]
    response = deliver(app_client(rt), "pull_request", payload)
    assert response.status_code == 202 and response.json()["status"] == "ignored"
    with rt.db.session() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
        assert delivery.repo_name is None
    assert _count(rt, Review) == 0


@pytest.mark.parametrize(
    ("event", "action", "enabled", "reason"),
    [
        (
            "workflow_run",
            "completed",
            "pull_request.opened",
            "event workflow_run.completed is not enabled",
        ),
        ("issues", "opened", "pull_request.opened,issues.opened", "no handler for issues.opened"),
        (
            "pull_request",
            "closed",
            "pull_request.opened",
            "event pull_request.closed is not enabled",
        ),
    ],
)
def test_unrouted_deliveries_are_recorded_and_ignored_with_the_reason(
    tmp_path: Path, event: str, action: str, enabled: str, reason: str
) -> None:
    private_pem, _ = generate_rsa_keypair()
    rt = make_runtime(
        make_settings(
            tmp_path,
            github_app_id=1,
            github_private_key=private_pem,
            github_webhook_secret=WEBHOOK_SECRET,
            llm_api_key="k",
            ci_enabled=False,
            review_enabled_events=enabled,
        )
    )
    payload = {"action": action, "installation": {"id": 3}, "repository": {"full_name": "o/r"}}
    answer = deliver(app_client(rt), event, payload)
    assert (answer.status_code, answer.json()) == (202, {"status": "ignored", "reason": reason})
    with rt.db.session() as s:
        (row,) = s.scalars(select(WebhookDelivery)).all()
        assert (row.event, row.status, row.repo_name) == (event, "ignored", "o/r")
    assert _count(rt, Review) == 0
    rt.db.dispose()

"""The dashboard's experiments page: admins only, the arms compared, names escaped."""

from __future__ import annotations

from argusai.review import experiments
from argusai.review.experiments import Arm
from argusai.store.models import Review
from tests.integration.test_web_dashboard import Site, sign_in, site

__all__ = ["site"]  # the fixture, shared with the dashboard's other tests


def _reviews(site: Site, arm: str, count: int, cost: float) -> None:
    with site.rt.db.session() as s:
        for n in range(count):
            s.add(
                Review(
                    installation_id=101,
                    repo_name="acme/api",
                    pr_number=500 + n + (100 if arm.endswith("/b") else 0),
                    sha="e" * 40,
                    status="done",
                    experiment_arm=arm,
                    comments_count=2,
                    cost_usd=cost,
                    total_ms=30_000,
                )
            )


def test_an_admin_sees_the_arms_compared(site: Site) -> None:
    arms = [Arm("a", model="gpt-4o-mini"), Arm("b", model="<b>gpt-4o</b>", template="strict")]
    experiments.create(site.rt.db, "models", arms, [50, 50], [])
    _reviews(site, "models/a", 3, 0.01)
    _reviews(site, "models/b", 2, 0.03)

    sign_in(site, "root-admin")
    html = site.client.get("/dashboard/experiments")
    assert html.status_code == 200
    text = html.text
    assert 'id="experiment-models"' in text and "running" in text
    assert "model=&lt;b&gt;gpt-4o&lt;/b&gt;, template=strict" in text
    assert "<b>gpt-4o</b>" not in text
    assert "<td>3</td>" in text and "$0.0300" in text and "30.0 s" in text
    assert "each arm needs 30 decided findings" in text
    assert 'href="/dashboard/experiments"' in site.client.get("/dashboard").text


def test_the_page_is_for_admins(site: Site) -> None:
    sign_in(site, "alice")
    assert site.client.get("/dashboard/experiments").status_code == 403
    assert "/dashboard/experiments" not in site.client.get("/dashboard").text

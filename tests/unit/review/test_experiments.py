"""Experiment arms: parsing, the split, and the stable assignment of a PR to an arm."""

from __future__ import annotations

from collections import Counter

import pytest

from argusai.errors import InputError
from argusai.review.experiments import Arm, bucket, parse_arm, parse_split, pick


def test_parse_arm() -> None:
    assert parse_arm("a:model=gpt-4o-mini") == Arm("a", model="gpt-4o-mini")
    assert parse_arm("b:model=gpt-4o,fallback=gpt-4o-mini,template=strict,verify=off") == Arm(
        "b", model="gpt-4o", fallback_model="gpt-4o-mini", template="strict", verify=False
    )
    assert parse_arm("control") == Arm("control")
    assert parse_arm("c:template=default") == Arm("c")
    assert Arm("b", template="strict", verify=True).layer() == {
        "prompt_template": "strict",
        "verify": True,
    }


@pytest.mark.parametrize(
    "text", ["", "a:model", "a:colour=red", "a:verify=maybe", "a:template=../x", "a b:model=x"]
)
def test_bad_arms_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        parse_arm(text)


def test_split() -> None:
    assert parse_split("30,70", 2) == [30, 70]
    assert parse_split(None, 3) == [34, 33, 33]
    for bad in ("50,40", "50", "a,b", "120,-20"):
        with pytest.raises(InputError):
            parse_split(bad, 2)


def test_assignment_is_stable_per_pr() -> None:
    first = bucket("exp", "Octo/Repo", 7)
    assert all(bucket("exp", "octo/repo", 7) == first for _ in range(5))
    assert 0 <= first < 100
    assert pick([50, 50], 49) == 0 and pick([50, 50], 50) == 1 and pick([0, 100], 0) == 1


@pytest.mark.parametrize("split", [[50, 50], [20, 80], [10, 30, 60]])
def test_assignment_follows_the_split(split: list[int]) -> None:
    prs = [(f"org/repo{r}", n) for r in range(40) for n in range(1, 101)]  # 4,000 PRs
    counts = Counter(pick(split, bucket("exp", repo, n)) for repo, n in prs)
    for index, share in enumerate(split):
        assert abs(counts[index] / len(prs) * 100 - share) <= 5


def test_another_experiment_assigns_independently() -> None:
    prs = [("org/repo", n) for n in range(1, 401)]
    a = [pick([50, 50], bucket("one", r, n)) for r, n in prs]
    b = [pick([50, 50], bucket("two", r, n)) for r, n in prs]
    assert 0.35 < sum(x == y for x, y in zip(a, b, strict=True)) / len(prs) < 0.65


def test_what_an_arm_changes_is_in_the_review_cache_key() -> None:
    from argusai.review.config_layers import Layer, merge_layers
    from argusai.review.job_inputs import cache_key
    from argusai.store.models import Review

    item = Review(repo_name="o/r", sha="a" * 40)
    plain, _, _ = merge_layers([])
    armed, sources, _ = merge_layers([Layer("experiment x/b", Arm("b", template="t").layer())])
    assert sources["prompt_template"] == "experiment x/b"
    keys = {
        cache_key(item, "b" * 40, None, plain, "gpt-4o-mini", None),
        cache_key(item, "b" * 40, None, armed, "gpt-4o-mini", None),
        cache_key(item, "b" * 40, None, plain, "gpt-4o", None),
    }
    assert len(keys) == 3

"""The two-proportion z-test against numbers computed by hand."""

from __future__ import annotations

import pytest

from argusai.stats.twoprop import compare


def test_75_vs_50_percent_of_60() -> None:
    # A 30/60 = 0.5, B 45/60 = 0.75; pooled 75/120 = 0.625
    # se_pooled = sqrt(0.625 * 0.375 * (1/60 + 1/60)) = sqrt(0.0078125) = 0.0883883
    # z = 0.25 / 0.0883883 = 2.828427; p = erfc(2) = 0.0046777
    # se = sqrt(0.5*0.5/60 + 0.75*0.25/60) = 0.0853913; half = 1.959964 * se = 0.167364
    c = compare(30, 60, 45, 60)
    assert c is not None
    assert c.diff == pytest.approx(0.25)
    assert c.z == pytest.approx(2.828427, abs=1e-6)
    assert c.p_value == pytest.approx(0.0046777, abs=1e-6)
    assert (c.low, c.high) == (pytest.approx(0.082636, abs=1e-6), pytest.approx(0.417364, abs=1e-6))
    assert c.significant


def test_small_difference_is_not_significant() -> None:
    # A 20/40 = 0.5, B 22/40 = 0.55; pooled 0.525, se_pooled = sqrt(0.525*0.475*0.05) = 0.111663
    # z = 0.05 / 0.111663 = 0.447773; se = sqrt(0.25/40 + 0.2475/40) = 0.111524
    c = compare(20, 40, 22, 40)
    assert c is not None
    assert c.z == pytest.approx(0.447773, abs=1e-6)
    assert c.low == pytest.approx(0.05 - 1.959964 * 0.111524, abs=1e-5)
    assert not c.significant


def test_an_empty_arm_has_no_comparison() -> None:
    assert compare(0, 0, 3, 10) is None
    same = compare(0, 10, 0, 10)
    assert same is not None and same.z == 0.0 and same.p_value == 1.0

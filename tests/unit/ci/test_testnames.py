"""Failed test names from logs: one fixture per test runner (``data/testnames/<runner>.log``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from argusai.ci.testnames import FailedTest, failed_tests_in

DATA = Path(__file__).parent / "data" / "testnames"

EXPECTED: dict[str, list[tuple[str, str]]] = {
    "pytest": [
        ("pytest", "tests/test_cart.py::test_total"),
        ("pytest", "tests/test_cart.py::TestVoucher::test_applies_once[3.12]"),
        ("pytest", "tests/test_db.py::test_migrate"),
        ("pytest", "tests/test_api.py"),
    ],
    "jest": [
        ("jest", "checkout › applies the voucher once"),
        ("jest", "checkout › rejects an expired voucher"),
    ],
    "vitest": [
        ("vitest", "src/checkout.test.ts > checkout > applies the voucher once"),
        ("vitest", "src/wizard/App.test.tsx > App > renders the wizard in guided mode by default"),
    ],
    "go": [
        ("go", "github.com/acme/shop/server.TestServe/timeout"),
        ("go", "github.com/acme/shop/server.TestRetry"),
        ("go", "github.com/acme/shop/money.TestRound"),
    ],
    "maven": [
        ("junit", "com.acme.shop.CartTest.totalIncludesShipping"),
        ("junit", "com.acme.shop.VoucherTest.appliesOnce"),
    ],
    "gradle": [
        ("gradle", "com.acme.shop.CartTest.totalIncludesShipping"),
        ("gradle", "com.acme.shop.VoucherTest.applies once for [1] SAVE10"),
    ],
    "cargo": [
        ("cargo", "cart::tests::total_includes_shipping"),
        ("cargo", "voucher::tests::applies_once"),
    ],
    "rspec": [
        ("rspec", "spec/models/cart_spec.rb: Cart#total includes shipping"),
        ("rspec", "spec/models/voucher_spec.rb: Voucher applies once"),
    ],
}


@pytest.mark.parametrize("runner", sorted(EXPECTED))
def test_each_runner_names_its_failed_tests(runner: str) -> None:
    found = failed_tests_in((DATA / f"{runner}.log").read_bytes())
    assert [(t.runner, t.name) for t in found] == EXPECTED[runner]


def test_every_fixture_is_checked() -> None:
    assert sorted(p.stem for p in DATA.glob("*.log")) == sorted(EXPECTED)


def test_a_passing_log_names_nothing() -> None:
    log = b"collected 3 items\ntests/test_a.py ...\n3 passed in 0.1s\nok  \tpkg\t0.01s\n"
    assert failed_tests_in(log) == []


def test_names_are_kept_once_and_bounded() -> None:
    line = b"FAILED tests/test_a.py::test_x - boom\n"
    assert failed_tests_in(line * 3) == [FailedTest("pytest", "tests/test_a.py::test_x")]
    many = b"".join(f"FAILED t.py::test_{i}\n".encode() for i in range(80))
    assert len(failed_tests_in(many)) == 50


def test_windows_line_ends_and_colour_codes() -> None:
    log = b"\x1b[31mFAILED tests/test_a.py::test_x - boom\x1b[0m\r\n--- FAIL: TestY (0.00s)\r\n"
    assert [t.name for t in failed_tests_in(log)] == ["tests/test_a.py::test_x", "TestY"]

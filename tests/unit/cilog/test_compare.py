"""Comparing a failing log with a passing one: templates, what is new, what ranks first."""

from __future__ import annotations

import pytest

from argusai.cilog.compare import Baseline, reduce_compared, template
from argusai.cilog.rank import ranked
from argusai.cilog.reduce import reduce_bytes
from argusai.cilog.scan import scan


def _stamp(lines: list[str], second: int = 0) -> bytes:
    return "".join(
        f"2024-05-01T10:{(second + i) // 60 % 60:02d}:{(second + i) % 60:02d}.{i:07d}Z {line}\n"
        for i, line in enumerate(lines)
    ).encode()


COMMON = ["##[group]Run pytest -q", "collected 3 items"]
#: printed by every run of the job: a warm-up that fails and is retried later
DECOY = [
    "Traceback (most recent call last):",
    '  File "/usr/lib/python3.11/site-packages/cache.py", line 12, in warm',
    "ConnectionError: Redis at 127.0.0.1:6379 refused the connection (cache disabled)",
]
FAILURE = [
    "tests/test_cart.py ..F",
    "    def test_total():",
    ">       assert cart.total() == 4",
    "E       assert 3 == 4",
]
END = ["Tests: 1 failed, 2 passed, 3 total", "##[error]Process completed with exit code 1."]
FAILING = _stamp(COMMON + FAILURE + DECOY + END)
PASSING = _stamp([*COMMON, "tests/test_cart.py ...", *DECOY, "3 passed"], second=37)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2024-05-01T10:00:00.123Z started", "2025-11-30T23:59:59.9Z started"),
        ("[10:22:31] done in 120 ms", "[09:01:02] done in 7 ms"),
        ("done in 0.52s", "done in 1m 2s"),
        ("HEAD is now at 3484a3fb8 Merge", "HEAD is now at 0c1d2e3f4 Merge"),
        (
            "container 550e8400-e29b-41d4-a716-446655440000 started",
            "container 6fa459ea-ee8a-3ca4-894e-db77e160355e started",
        ),
        ("File /home/runner/work/a/b.py, line 12", "File /tmp/x/c.py, line 7"),
        ("C:\\a\\b.cs(3,4): warning CS0168", "D:\\w\\x.cs(30,1): warning CS0168"),
        ("collected 42 items", "collected 43 items"),
    ],
)
def test_run_to_run_details_are_masked(a: str, b: str) -> None:
    assert template(a) == template(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("FAILED tests/test_a.py::test_x", "PASSED tests/test_a.py::test_x"),
        ("ModuleNotFoundError: No module named 'httpx'", "ImportError: cannot import name"),
        ("error CS0103: The name 'key' does not exist", "warning CS0103: The name 'key'"),
    ],
)
def test_what_a_line_says_is_kept(a: str, b: str) -> None:
    assert template(a) != template(b)


def test_a_long_line_keeps_its_head_and_its_end() -> None:
    middle = "x" * 3000
    assert template("test_a " + middle + " ok") != template("test_a " + middle + " FAILED")


def test_the_failure_only_in_the_failing_log_ranks_first() -> None:
    today = ranked(scan([FAILING]))[0][1]
    assert "ConnectionError: Redis" in today.lines[today.hit - today.start]  # the decoy
    reduction, comparison = reduce_compared(FAILING, Baseline.of(PASSING))
    assert comparison is not None
    assert comparison.new_lines[0].text == "tests/test_cart.py ..F"
    assert comparison.new_lines[0].line == 3
    assert all("Redis" not in n.text for n in comparison.new_lines)
    assert comparison.known_blocks >= 1  # the decoy: the passing run printed it too
    assert "E       assert 3 == 4" in reduction.excerpt


def test_a_run_of_new_lines_without_an_error_word_is_found() -> None:
    lines = [f"step {i}: compiling module_{i}" for i in range(40)]
    failing = _stamp(
        [*lines, "Using gulpfile ~/build/site/gulpfile.js", "Task never defined: default", *END[1:]]
    )
    passing = _stamp(lines, second=5)
    _reduction, comparison = reduce_compared(failing, Baseline.of(passing))
    assert comparison is not None
    assert [n.text for n in comparison.new_lines][:1] == ["Using gulpfile ~/build/site/gulpfile.js"]


def test_without_a_passing_log_the_reduction_is_todays() -> None:
    reduction, comparison = reduce_compared(FAILING, None)
    assert comparison is None
    assert reduction == reduce_bytes(FAILING)


def test_nothing_is_new_against_the_same_log_perturbed() -> None:
    again = FAILING.replace(b"6379", b"6380").replace(b"2024-05-01T10", b"2024-06-11T07")
    _reduction, comparison = reduce_compared(FAILING, Baseline.of(again))
    assert comparison is not None and comparison.new_lines == () and comparison.new_blocks == 0

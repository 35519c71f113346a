"""The names of the tests a CI log says failed, per test runner (pure: log text in, names out).

One rule per runner, reading the line that runner prints for a failed test (→ name kept):

- pytest: ``FAILED path::test - …``, ``ERROR path::test``, ``path::test FAILED``
  → ``path::Class::test``; ``ERROR path.py`` (not collected) → ``path.py``
- jest: ``● Suite › test`` (the failure's heading) → ``Suite › test``
- vitest: ``FAIL  file > suite > test``, ``× file > suite > test`` → ``file > suite > test``
- go test: ``--- FAIL: TestX/sub (0.01s)``, then the package line ``FAIL  pkg  0.2s``
  → ``pkg.TestX/sub``
- JUnit on Maven: ``[ERROR] testX(pkg.Class)  Time elapsed: … <<< FAILURE!`` (JUnit 4),
  ``[ERROR] pkg.Class.testX  Time elapsed: … <<< ERROR!`` (JUnit 5) → ``pkg.Class.testX``
- Gradle: ``pkg.Class > testX() FAILED`` → ``pkg.Class.testX``
- cargo test: ``test module::name ... FAILED`` → ``module::name``
- RSpec: ``rspec ./spec/x_spec.rb:12 # Description`` → ``spec/x_spec.rb: Description``

Names are what stays the same from one run to the next: no durations, no line numbers
(RSpec's ``:12`` moves with every edit above it), parameters kept (``test_x[3.11]`` is a
test of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from argusai.cilog.normalize import clean_line

MAX_NAMES = 50
MAX_NAME_CHARS = 500


@dataclass(frozen=True, slots=True)
class FailedTest:
    """One failed test as a runner named it."""

    runner: str
    name: str


_PYTEST = (
    re.compile(r"^(?:FAILED|ERROR) (\S+::\S+?)(?: - .*)?$"),
    re.compile(r"^ERROR (\S+\.py)(?: - .*)?$"),  # a module that could not be collected
    re.compile(r"^(\S+\.py::\S+) (?:FAILED|ERROR)\b"),
)
_JEST = re.compile(r"^\s*● (.+? › .+?)\s*$")
_VITEST = (
    re.compile(r"^\s*FAIL\s+(\S+\.\w+ > .+?)(?:\s+\[[^\]]*\])?\s*$"),
    re.compile(r"^\s*[×✗✕]\s+(\S+\.\w+ > .+?)(?:\s+\d+\s*m?s)?\s*$"),
)
_GO_TEST = re.compile(r"^\s*--- FAIL: (\S+) \(")
_GO_PACKAGE = re.compile(r"^FAIL\s+(\S+)\s+[\d.]+s$")
_JUNIT4 = re.compile(r"^(?:\[ERROR\] )?(\w+)\(([\w.$]+)\)\s+Time elapsed: .*<<< (?:FAILURE|ERROR)!")
_JUNIT5 = re.compile(r"^(?:\[ERROR\] )?([\w.$]+)\.(\w+)\s+Time elapsed: .*<<< (?:FAILURE|ERROR)!")
_GRADLE = re.compile(r"^([\w.$]+) > (.+?)(?:\(\))? FAILED$")
_CARGO = re.compile(r"^test (\S+) \.\.\. FAILED$")
_RSPEC = re.compile(r"^rspec \.?/?(\S+?\.rb)(?::\d+|\[[\d:]+\])? # (.+)$")
_GRADLE_TASKS = re.compile(r"^> Task |^Execution failed for task")


def _one(line: str) -> FailedTest | None:
    text = line.strip()
    if not text:
        return None
    for pattern in _PYTEST:
        if m := pattern.match(text):
            return FailedTest("pytest", m.group(1))
    if m := _GO_TEST.match(line):
        return FailedTest("go", m.group(1))
    if m := _CARGO.match(text):
        return FailedTest("cargo", m.group(1))
    if m := _JUNIT4.match(text):
        return FailedTest("junit", f"{m.group(2)}.{m.group(1)}")
    if m := _JUNIT5.match(text):
        return FailedTest("junit", f"{m.group(1)}.{m.group(2)}")
    if not _GRADLE_TASKS.match(text) and (m := _GRADLE.match(text)):
        return FailedTest("gradle", f"{m.group(1)}.{m.group(2).strip()}")
    if m := _RSPEC.match(text):
        return FailedTest("rspec", f"{m.group(1)}: {m.group(2).strip()}")
    for pattern in _VITEST:
        if m := pattern.match(line):
            return FailedTest("vitest", m.group(1))
    if m := _JEST.match(line):
        return FailedTest("jest", m.group(1))
    return None


def failed_tests(lines: Iterable[str]) -> list[FailedTest]:
    """The failed tests named in ``lines`` (raw or cleaned log lines), first seen first."""
    found: dict[str, FailedTest] = {}
    pending_go: list[FailedTest] = []
    for raw in lines:
        line = clean_line(raw)
        if pending_go and (m := _GO_PACKAGE.match(line.strip())):
            # go prints the package after its failed tests: name them with it
            for pending in pending_go:
                found.pop(pending.name, None)
                named = FailedTest("go", f"{m.group(1)}.{pending.name}")
                found.setdefault(named.name, named)
            pending_go = []
            continue
        hit = _one(line)
        if hit is None:
            continue
        test = FailedTest(hit.runner, " ".join(hit.name.split())[:MAX_NAME_CHARS])
        if test.runner == "go":
            pending_go.append(test)
        if test.name not in found and len(found) < MAX_NAMES:
            found[test.name] = test
    return _without_parents(list(found.values()))


def _without_parents(tests: list[FailedTest]) -> list[FailedTest]:
    """Go reports a parent test failed when one of its subtests did: keep the subtest."""
    names = {t.name for t in tests}
    return [
        t
        for t in tests
        if t.runner != "go" or not any(n.startswith(t.name + "/") for n in names if n != t.name)
    ]


#: every line a rule above reads holds one of these (found with ``bytes.find``, ≈ 1 GB/s):
#: a 50 MB log is not split into lines to find a few dozen
_WORDS = (
    b"FAIL",
    b"ERROR",
    b"\xe2\x97\x8f",
    b"\xc3\x97",
    b"\xe2\x9c\x97",
    b"\xe2\x9c\x95",
    b"rspec ",
)


def candidate_lines(data: bytes) -> list[str]:
    """The lines of ``data`` holding one of the runners' words, in log order."""
    starts: set[int] = set()
    for word in _WORDS:
        at = data.find(word)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            starts.add(start)
            end = data.find(b"\n", at)
            if end < 0:
                break
            at = data.find(word, end)
    lines = []
    for start in sorted(starts):
        end = data.find(b"\n", start)
        lines.append(data[start : end if end >= 0 else len(data)].decode("utf-8", "replace"))
    return lines


def failed_tests_in(data: bytes) -> list[FailedTest]:
    """The failed tests named in a whole log (bytes, as downloaded)."""
    return failed_tests(candidate_lines(data))

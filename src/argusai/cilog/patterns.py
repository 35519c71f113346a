"""What marks a failure in a CI log: a fast byte prefilter, line classes and template keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words searched in the lower-cased bytes. With ahocorasick-rs installed all of them are found
# in one pass (≈ 400 MB/s); without it, one ``bytes.find`` pass each (≈ 1 GB/s per word). A
# single alternation regex over the same words runs at ≈ 10 MB/s (CPython's re has no
# multi-literal search), so the list stays short: lines that explain a failure almost always
# carry one of these; the rest is reached as context.
PREFILTER_WORDS: tuple[bytes, ...] = (
    b"err",  # error, Error, ERROR, npm ERR!, stderr (rejected later)
    b"fail",  # fail, FAILED, failure, failing
    b"fatal",
    b"exception",
    b"traceback",
    b"panic",
    b"abort",
    b"killed",
    b"timed out",
    b"exit",  # exit code N, exited with N, exit status
    b"not ok",  # TAP
    b"[-] ",  # Pester
    b"***",  # make: ***, ScalaTest "*** FAILED ***"
    b"##[",  # GitHub Actions groups and annotations
    b"\xe2\x97\x8f",  # ● (Jest)
    b"\xe2\x9c",  # ✓ ✔ ✕ ✖ ✗ ✘
    b"\xe2\x9d\x8c",  # ❌
    b"\x1b[0k$ ",  # Travis command echo (a step boundary)
    b"====diff",  # PHP run-tests
    b"there w",  # PHPUnit "There was 1 failure:", "There were 2 errors:"
    b"dubious",  # Perl prove "Dubious, test returned 1"
    # Crashes and sanitizers often print no "error" word at all.
    b"sanitizer",  # "WARNING: ThreadSanitizer: data race", "SUMMARY: MemorySanitizer: …"
    b"segmentation",
    b"sigsegv",
    b"sigbus",
    b"sigabrt",
    b"sigill",
    b"sigfpe",
    b"core dump",
    b"terminate called",
    b"stack smashing",
    b"double free",
    b"crashed",
)


@dataclass(frozen=True, slots=True)
class LineClass:
    """How much a line says about the failure and how much context it needs."""

    kind: str
    weight: float
    before: int = 6
    after: int = 12
    block: int = 0  # > 0: keep reading after the hit until the section ends (≤ this many lines)


_IGNORE = LineClass("noise", 0.0, 0, 0)
_ZERO_COUNTS = LineClass("zero-counts", 0.0, 0, 0)
# A failed command's exit line (Travis "The command … exited with N.", Actions "Process
# completed with exit code N") keeps this much of the output before it: a build can fail in an
# earlier command than the last one, and that command's own output is what explains it. The
# ranker shows the nearest EXIT_NEAR lines like any context, the rest only with budget to spare.
EXIT_BEFORE = 300
EXIT_NEAR = 30


# First match wins; order matters (specific before generic).
def _alternatives(pattern: str) -> list[str]:
    """Split a regex at its top-level ``|``."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _compile(pattern: str) -> tuple[re.Pattern[str], bool]:
    """Compile a rule; one whose alternatives are all anchored at ``^`` is matched, not searched."""
    alternatives = _alternatives(pattern)
    if all(alt.startswith("^") for alt in alternatives):
        return re.compile("(?:" + "|".join(alt[1:] for alt in alternatives) + ")"), True
    return re.compile(pattern), False


_RULES: tuple[tuple[tuple[re.Pattern[str], bool], LineClass], ...] = tuple(
    (_compile(p), c)
    for p, c in (
        (
            r"^##\[error\]Process completed with exit code",
            LineClass("step-exit", 6, EXIT_BEFORE, 1),
        ),
        (
            r"has timed out after|timed out after \d+ minutes|exceeded the timeout",
            LineClass("timeout", 10, 10, 3),
        ),
        (r"^##\[error\]", LineClass("gha-error", 9, 6, 4)),
        (r"^##\[warning\]", _IGNORE),
        (
            # A passing suite's counts ("Failed: 0", "0 failures"); a line that also counts
            # something non-zero is not one (see classify).
            r"(?i)\b(?:0|no) (?:errors?|failures?|failed|failing)\b"
            r"|\b(?:errors?|failures?|failed|failing|fails)\s*[=:]\s*0\b(?!\.\d)",
            _ZERO_COUNTS,
        ),
        (
            r"==\d+==ERROR: \w+Sanitizer|^SUMMARY: \w+Sanitizer|:\d+:\d+: runtime error: "
            r"|^(?:==\d+==)?WARNING: \w+Sanitizer",
            # The report runs to its SUMMARY line (the shadow-byte map after it tells nothing).
            LineClass("sanitizer", 10, 2, 6, 300),
        ),
        (r"^\[ +(?:RUN|OK) +\]|^ok\s", _IGNORE),
        (r"^not ok \d|Dubious, test returned|^\s*\[-\] ", LineClass("test-fail", 9, 2, 10)),
        (
            r"^\S+:\d+:\d+: (?:[EWFC]\d{3,4}|Warning:|warning: .*\[-Werror)",
            LineClass("lint-error", 6, 1, 4),
        ),
        (r"\*\*\* FAILED \*\*\*", LineClass("test-fail", 9, 1, 14)),  # ScalaTest
        (r"^\s*Failure/Error: ", LineClass("test-fail", 9, 2, 14)),  # RSpec
        (r"Failing due to -Werror", LineClass("werror", 9, 8, 2)),
        (r"^=+DIFF=+$", LineClass("test-diff", 9, 2, 20, 200)),  # PHP run-tests
        (
            r"^There (?:was|were) \d+ (?:failures?|errors?):",  # PHPUnit
            LineClass("test-failures", 9, 1, 40, 400),
        ),
        (r"^=(?:ERROR|CRASH|SUPERVISOR) REPORT====", LineClass("report", 9, 0, 4, 60)),  # Erlang
        (r"^Traceback \(most recent call last\)", LineClass("traceback", 7, 2, 40, 300)),
        (
            r"^panic: |^fatal error: all goroutines|^goroutine \d+ \[running\]",
            LineClass("go-panic", 10, 3, 25),
        ),
        (r"thread '.*' panicked at", LineClass("rust-panic", 10, 3, 8)),
        (r"^error(?:\[E\d+\])?: |^error: could not compile", LineClass("rustc-error", 10, 2, 14)),
        (
            r"^\S.*?[:(]\d+(?:[:,]\d+)?\)?:? (?:fatal )?error(?: [A-Z]+\d+)?:",
            LineClass("compile-error", 10, 3, 8),
        ),
        (
            r"undefined reference to|ld returned \d+ exit status|collect2: error"
            r"|symbol\(s\) not found"
            r"|unresolved external symbol|LNK\d{4}",
            LineClass("link-error", 9, 3, 4),
        ),
        (r"^(?:FAILED|ERROR) \S+(?: - |::| \()", LineClass("test-failed", 10, 1, 2)),
        (r"^(?:FAIL|ERROR): \w+ \(", LineClass("unittest-fail", 10, 1, 25, 200)),
        (r"^--- FAIL: ", LineClass("go-test-fail", 9, 2, 12, 150)),
        (r"^FAIL\s+\S+\s|^FAIL$", LineClass("go-test-fail", 9, 2, 12)),
        (r"^\s*● ", LineClass("jest-fail", 10, 1, 25, 200)),
        (r"^\s*(?:FAIL|✕|×|✖|✗|✘) ", LineClass("test-fail", 8, 1, 12)),
        # ❌ marks an error wherever it stands (xcpretty prints compiler errors as "❌  file:l:c:
        # message" with no "error" word; other tools put a prefix before it).
        (r"❌", LineClass("test-fail", 9, 1, 12)),
        (
            r"^=+ (?:FAILURES|ERRORS|short test summary info) =+|^=+ .*\b\d+ (?:failed|errors?)\b",
            LineClass("test-summary", 8, 1, 30, 300),
        ),
        (
            r"^(?:FAILED \((?:failures|errors)=|test result: FAILED|Tests:.*\d+ failed"
            r"|Tests run:.*(?:Failures|Errors): [1-9])",
            LineClass("test-totals", 7, 3, 3),
        ),
        (
            r"^failures:$|^---- .* stdout ----$|^Failures:$|^Failed tests:|^Tests in error:"
            r"|\d+ failing$",
            LineClass("test-failures", 8, 1, 40, 400),
        ),
        (
            r"BUILD FAILURE|FAILURE: Build failed|What went wrong:|> Task \S+ FAILED|BUILD FAILED",
            LineClass("build-failure", 9, 2, 12),
        ),
        (
            r"^\[ERROR\]|^ERROR:|^E\s{2,}|^E\s+\w+(?:Error|Exception)",
            LineClass("error-line", 8, 2, 6),
        ),
        (
            r"^FAILED: |make(?:\[\d+\])?: \*\*\*|ninja: build stopped",
            LineClass("make-error", 8, 4, 2),
        ),
        (r"npm ERR!|ERR! ", LineClass("npm-error", 6, 1, 8)),
        (
            r"failed to solve|executor failed running|returned a non-zero code|failed to build",
            LineClass("docker-error", 9, 6, 3),
        ),
        (
            r"OOMKilled|Out of memory|out of memory|Cannot allocate memory|Killed process"
            r"|\bKilled\b"
            r"|exit code 137|signal 9\b",
            LineClass("oom", 9, 4, 3),
        ),
        (
            # A crash report: the signal or abort line, then frames (native, Python's
            # faulthandler, the JVM's "#" report) until three lines in a row are not frames.
            r"Segmentation fault|SIGSEGV|SIGBUS|SIGABRT|SIGILL|SIGFPE|core dumped"
            r"|Received signal|Aborted|^Fatal Python error|terminate called after throwing"
            r"|stack smashing detected|double free or corruption|free\(\): invalid"
            r"|unexpected signal during runtime|fatal error has been detected by the Java"
            r"|^Thread \d+ Crashed",
            LineClass("signal", 9, 4, 6, 120),
        ),
        (r"(?i)timed? ?out\b|timeout", LineClass("timeout", 6, 4, 3)),
        (
            r"^\s*(?:[\w$.]+\.)?[\w$]*(?:Error|Exception|Failure|Exit)\b(?::|$)"
            r"|^Caused by: |Exception in thread",
            LineClass("exception", 9, 12, 15, 150),
        ),
        (
            r"AssertionError|^\s*assert |Expected:|expected .* (?:got|but|to )|Received:",
            LineClass("assertion", 7, 3, 6),
        ),
        (
            r'The command ".*" exited with [1-9]\d*\.|^" exited with [1-9]\d*\.'
            r"|Your build exited with [1-9]",
            LineClass("ci-exit", 5, EXIT_BEFORE, 1),
        ),
        (r"(?i)\bfatal\b|\baborted\b|Issues :-\(", LineClass("fatal", 7, 3, 8)),
        # The bare words count, not parts of a file or path name ("ref-errors.sh", "Error.pm",
        # "localized-error-pages"): a test list names such files in every passing run.
        (r"(?i)(?<![-/.])\b(?:errors?\b(?![-/]|\.\w)|err!)", LineClass("error", 5, 2, 3)),
        (
            r"(?i)(?<![-/.])\bfail(?:ed|ure|ures|ing|s)?\b(?![-/]|\.\w)",
            LineClass("failure", 5, 2, 3),
        ),
        (
            r"(?i)cannot |could not|couldn't|not found|no such file|denied|violation|unexpected",
            LineClass("problem", 3, 1, 2),
        ),
    )
)


# A rule is only tried when one of its words (a necessary condition) is in the lower-cased
# line: the substring test is far cheaper than a regex search over a long line.
_NEEDLES: dict[str, tuple[str, ...]] = {
    "timeout": ("time",),
    "oom": ("kill", "memory", "137", "signal 9"),
    "signal": (
        "sigsegv",
        "sigbus",
        "sigabrt",
        "sigill",
        "sigfpe",
        "segmentation",
        "core dumped",
        "received signal",
        "aborted",
        "fatal python",
        "terminate called",
        "stack smashing",
        "double free",
        "free(): invalid",
        "unexpected signal",
        "detected by the java",
        "crashed",
    ),
    "fatal": ("fatal", "abort", "issues"),
    "error": ("err",),
    "failure": ("fail",),
    "problem": ("cannot", "could", "not found", "no such", "denied", "violation", "unexpected"),
    "exception": ("error", "exception", "failure", "exit", "caused by"),
    "assertion": ("assert", "expect", "received"),
    "ci-exit": ("exited with",),
    "werror": ("werror",),
    "test-diff": ("diff",),
    "docker-error": ("failed to", "executor", "non-zero"),
    "build-failure": ("build fail", "went wrong", "failed"),
    "test-failures": ("there w", "failures:", "stdout ----", "failed tests", "in error", "failing"),
    "link-error": ("undefined", "ld ", "collect2", "symbol", "lnk"),
    "npm-error": ("err!",),
    "zero-counts": ("0 err", "0 fail", "no err", "no fail", ":0", ": 0", "=0", "= 0", ":  ", ":\t"),
    "test-fail": (
        "not ok",
        "dubious",
        "[-]",
        "fail",
        "\u2715",
        "\u00d7",
        "\u2716",
        "\u2717",
        "\u2718",
        "\u274c",
    ),
    "make-error": ("failed:", "make", "ninja"),
    "compile-error": ("error",),
    "sanitizer": ("sanitizer", "runtime error"),
    "rust-panic": ("panicked",),
}
# Each rule as (match or search, class, needles): the loop in classify runs for every new line.
_MATCHERS = tuple(
    (pattern.match if anchored else pattern.search, cls, _NEEDLES.get(cls.kind, ()))
    for (pattern, anchored), cls in _RULES
)
_PASSED = ("OK", "ok", "PASSED", "passed", "\u2713", "\u2714")
# A line that starts with a passing mark reports a test that passed, whatever its name says
# ("✓ handles error responses", "PASS src/errors.test.js", "ok 12 - rejects bad input").
_PASS_MARKS = ("\u2713", "\u2714", "\u221a", "PASS ", "ok ")
_NONZERO = re.compile(
    r"(?i)\b(?:errors?|failures?|failed|failing)\s*[=:]\s*[1-9]"
    r"|\b[1-9]\d* (?:errors?|failures?|failed|failing)\b"
)


def is_pass(line: str) -> bool:
    """Whether a cleaned line reports something that passed (a test, a suite, a check)."""
    if not (line.rstrip().endswith(_PASSED) or line.lstrip().startswith(_PASS_MARKS)):
        return False
    return _NONZERO.search(line) is None  # "Tests: 1 failed, 0 passed" did not pass


def classify(line: str) -> LineClass:
    """Classify a cleaned log line; weight 0 means it says nothing about the failure."""
    if is_pass(line):
        return _IGNORE
    low = line.lower()
    for find, cls, needles in _MATCHERS:
        if needles:
            for needle in needles:
                if needle in low:
                    break
            else:
                continue
        if find(line) is not None:
            if cls is _ZERO_COUNTS and _NONZERO.search(line):
                continue  # "Failures: 0, Errors: 2" counts an error
            return cls
    return _IGNORE


_MASKS = (
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{7,64}\b"),
    re.compile(r"(?:[\w.-]*/)+[\w.-]+"),
    re.compile(r"\d+(?:\.\d+)*"),
)


def template_key(line: str) -> str:
    """Mask numbers, hex ids, uuids and paths so that near-duplicate lines share one key."""
    key = line.strip()[:300]
    for mask in _MASKS:
        key = mask.sub("#", key)
    return " ".join(key.split())[:200]  # a padded table's columns move with the numbers' width

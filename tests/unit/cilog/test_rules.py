"""Line rules and selection rules added for recall (small own logs)."""

from __future__ import annotations

from argusai.cilog.patterns import classify
from argusai.cilog.prefilter import hit_lines
from argusai.cilog.reduce import reduce_bytes


def test_cross_mark_is_an_error_wherever_it_stands() -> None:
    line = "nl❌  /src/Spec.swift:47:19: 'value' is inaccessible due to 'internal' protection level"
    assert classify(line).weight >= 8


def test_error_words_inside_file_names_are_not_errors() -> None:
    for line in (
        "[22:29:27] t1404-update-ref-errors.sh ......... ok     3831 ms ( 0.08 usr = 3.60 CPU)",
        "    GEN perl/build/lib/Git/LoadCPAN/Error.pm",
        "Enabling conf localized-error-pages.",
        "[22:33:05] t5600-clone-fail-cleanup.sh ........ ok      295 ms ( 0.01 usr = 0.3 CPU)",
    ):
        assert classify(line).weight == 0, line
    assert classify("fatal: build error.").weight > 0
    assert classify("Build failed.").weight > 0


def test_prove_dubious_line_is_found() -> None:
    buf = b"t9806-git-p4-options.sh ......\nDubious, test returned 1 (wstat 256, 0x100)\n"
    assert len(hit_lines(buf, 0, len(buf))) == 1
    assert classify("Dubious, test returned 1 (wstat 256, 0x100)").kind == "test-fail"


def passing(lines: int, tag: str) -> str:
    return "".join(
        f"[{tag} {i:05d}] compiling unit_{i % 89}.c done in {i % 7} ms\n" for i in range(lines)
    )


def test_output_of_an_earlier_failed_command_is_kept_when_the_budget_allows() -> None:
    cause = "".join(f"lint: src/mod{i}.c line {i}: missing include guard\n" for i in range(60))
    log = (
        "$ ./lint.sh\n"
        + passing(200, "lint")
        + cause
        + 'The command "./lint.sh" exited with 1.\n'
        + "$ make\n"
        + passing(2_000, "make")
        + "make: *** [all] Error 2\n"
        + 'The command "make" exited with 2.\n'
        + "Done. Your build exited with 1.\n"
    )
    excerpt = reduce_bytes(log.encode()).excerpt
    assert "lint: src/mod0.c line 0: missing include guard" in excerpt
    assert "lint: src/mod59.c line 59: missing include guard" in excerpt


def test_every_strong_error_gets_its_headline_before_long_blocks() -> None:
    trace = "".join(f"\tat com.example.Deep{i}.call(Deep{i}.java:{i})\n" for i in range(140))
    failures = "".join(
        f"[info] - case {name} *** FAILED ***\n[info]   expected {i} but got {i + 1}\n"
        + passing(300, name)
        for i, name in enumerate(("alpha", "beta", "gamma", "delta", "epsilon"))
    )
    exceptions = "".join(
        f"java.lang.IllegalStateException: kind{i}\n{trace}" + passing(50, f"x{i}")
        for i in range(6)
    )
    log = failures + exceptions + 'The command "sbt test" exited with 1.\n'
    excerpt = reduce_bytes(log.encode()).excerpt
    for name in ("alpha", "beta", "gamma", "delta", "epsilon"):
        assert f"[info] - case {name} *** FAILED ***" in excerpt


def test_folded_findings_come_back_with_spare_budget_but_retries_do_not() -> None:
    findings = "".join(f"src/grammar.js:{i} Extra semicolon. (semi)\n" for i in range(40))
    retries = "".join(f"WARN retrying connection to db-{i}.internal:5432\n" for i in range(40))
    log = (
        "$ script/lint\n"
        + retries
        + findings
        + '" exited with 1.\nDone. Your build exited with 1.\n'
    )
    excerpt = reduce_bytes(log.encode()).excerpt
    assert all(f"src/grammar.js:{i} Extra semicolon. (semi)" in excerpt for i in range(40))
    assert excerpt.count("WARN retrying") < 10

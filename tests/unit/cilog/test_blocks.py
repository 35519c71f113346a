"""blocks.py: where a block read after an error line ends (small own logs, one rule each)."""

from __future__ import annotations

from argusai.cilog.blocks import context, line_end, raw_line
from argusai.cilog.patterns import EXIT_BEFORE, classify


def read(log: str, hit: str) -> tuple[int, list[str]]:
    """The block ``context`` reads around the first line starting with ``hit``."""
    buf = log.encode()
    start = buf.index(hit.encode())
    assert start == 0 or buf[start - 1 : start] == b"\n"
    line = buf[start : line_end(buf, start)].decode()
    return context(buf, start, classify(line))


def frames(n: int) -> str:
    """A Python traceback's frames: each 'File' line followed by its source line."""
    return "".join(f'  File "m{i}.py", line {i}, in f{i}\n    f{i + 1}()\n' for i in range(n))


def test_blocks_read_their_fixed_context_before_any_end_rule() -> None:
    log = "Traceback (most recent call last):\n" + frames(2) + "ValueError: bad\nnext 1\nnext 2\n"
    _, lines = read(log, "Traceback (most recent call last):")
    assert lines[-1] == "next 2"  # short: all of it is within the class's after-context


def test_python_traceback_ends_after_the_exception_line() -> None:
    log = (
        "collecting\n"
        "Traceback (most recent call last):\n"
        + frames(40)
        + "ValueError: bad\n"
        + "unrelated line one\n"
        + "unrelated line two\n"
    )
    n_before, lines = read(log, "Traceback (most recent call last):")
    assert lines[n_before] == "Traceback (most recent call last):"
    assert len(lines) - n_before > classify("Traceback (most recent call last):").after
    assert lines[-1] == "ValueError: bad"
    assert "unrelated line one" not in lines


def test_traceback_ends_at_its_exception_line_even_when_chained() -> None:
    log = (
        "Traceback (most recent call last):\n"
        + frames(20)
        + "KeyError: 'x'\n"
        + "\n"
        + "During handling of the above exception, another exception occurred:\n"
        + "\n"
        + "Traceback (most recent call last):\n"
        + frames(5)
        + "RuntimeError: wrapped\n"
        + "after\n"
    )
    _, lines = read(log, "Traceback (most recent call last):")
    # The chained trace has its own "Traceback" header: it is a window of its own.
    assert lines[-1] == "KeyError: 'x'"


def test_java_exception_reads_frames_and_causes_then_stops() -> None:
    java = "".join(f"\tat com.example.C{i}.run(C{i}.java:{i})\n" for i in range(30))
    log = (
        "[INFO] running\n"
        "java.lang.IllegalStateException: boom\n"
        + java
        + "Caused by: java.io.IOException: disk\n"
        + "\tat com.example.Io.read(Io.java:9)\n"
        + "\t... 12 more\n"
        + "[INFO] next test\n"
        + "[INFO] more output\n"
        + "[INFO] third\n"
        + "[INFO] fourth\n"
    )
    n_before, lines = read(log, "java.lang.IllegalStateException: boom")
    assert lines[n_before] == "java.lang.IllegalStateException: boom"
    assert len(lines) - n_before > 30  # beyond the class's fixed after-context
    assert "Caused by: java.io.IOException: disk" in lines
    assert lines[-1] == "[INFO] third"  # three non-frame lines in a row end it (kept)
    assert "[INFO] fourth" not in lines


def test_section_end_line_closes_a_test_failures_section() -> None:
    body = "".join(f"{i}) Test::case{i}\nFailed asserting that false is true.\n" for i in range(30))
    log = (
        "PHPUnit 9\n"
        "There were 30 failures:\n" + body + "FAILURES!\n"
        "Tests: 90, Assertions: 120, Failures: 30.\n"
        "after the run\n"
    )
    _, lines = read(log, "There were 30 failures:")
    assert lines[-1] == "FAILURES!"
    assert "29) Test::case29" in lines
    assert "after the run" not in lines


def test_command_echo_ends_a_section() -> None:
    source = "".join(f"    x{i} = {i}\n" for i in range(40))
    log = (
        "=================================== FAILURES ===================================\n"
        "___ test_one ___\n"
        "    def test_one():\n" + source + ">       assert 1 == 2\n"
        "E       assert 1 == 2\n"
        "\n"
        "$ ./deploy.sh\n"
        "deploying\n"
    )
    _, lines = read(log, "=================================== FAILURES")
    assert lines[-1] == "$ ./deploy.sh"
    assert "deploying" not in lines


def test_go_test_fail_reads_its_indented_report_to_the_next_unindented_line() -> None:
    entries = "".join(
        f"\tError Trace:\tproxied_test.go:{100 + i}\n\tError:\t\tShould be true\n\t\t\n"
        for i in range(8)
    )
    log = "=== RUN   TestX\n--- FAIL: TestX (0.01s)\n" + entries + "=== RUN   TestY\nok\n"
    n_before, lines = read(log, "--- FAIL: TestX (0.01s)")
    assert lines[n_before] == "--- FAIL: TestX (0.01s)"
    assert "\tError Trace:\tproxied_test.go:107" in lines
    assert lines[-1] == "=== RUN   TestY"
    assert "ok" not in lines


def test_erlang_error_report_runs_to_the_blank_line() -> None:
    log = (
        "=INFO REPORT==== 5-Jul-2019::07:41:12 ===\n"
        "    application: lager\n"
        "\n"
        "=ERROR REPORT==== 5-Jul-2019::07:41:12 ===\n"
        "** gen_event handler crashed.\n"
        "** Last event was: {info_report,\n"
        "                    {a,b}}\n"
        "** When handler state == {eh_state,undefined,\n"
        "                          false}\n"
        "** Reason == {timeout,{gen_server,call,\n"
        "                       [application_controller]}}\n"
        "\n"
        "=INFO REPORT==== 5-Jul-2019::07:41:13 ===\n"
    )
    hit = "=ERROR REPORT==== 5-Jul-2019::07:41:12 ==="
    assert classify(hit).kind == "report"
    n_before, lines = read(log, hit)
    assert n_before == 0
    assert lines[-2] == "                       [application_controller]}}"
    assert lines[-1] == ""
    assert not any(line.startswith("=INFO REPORT") for line in lines)


def test_sanitizer_report_ends_at_its_summary_or_at_aborting() -> None:
    stack = "".join(f"    #{i} 0x{i:04x} in f{i} src/a.c:{i}\n" for i in range(60))
    shadow = "".join(f"  0x0c04{i:04x}: fa fa fd fd\n" for i in range(30))
    log = (
        "==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020\n"
        + stack
        + "SUMMARY: AddressSanitizer: heap-use-after-free src/a.c:3 in f3\n"
        + "Shadow bytes around the buggy address:\n"
        + shadow
        + "==123==ABORTING\n"
        + "make: *** [check] Error 1\n"
    )
    _, lines = read(log, "==123==ERROR: AddressSanitizer")
    assert lines[-1] == "SUMMARY: AddressSanitizer: heap-use-after-free src/a.c:3 in f3"
    no_summary = log.replace("SUMMARY: AddressSanitizer", "(summary)")
    _, lines = read(no_summary, "==123==ERROR: AddressSanitizer")
    assert lines[-1] == "==123==ABORTING"


def test_failed_command_exit_keeps_the_output_before_it() -> None:
    output = "".join(f"output line {i} of the failing command\n" for i in range(100))
    log = "$ ./check.sh\n" + output + 'The command "./check.sh" exited with 1.\n'
    hit = 'The command "./check.sh" exited with 1.'
    assert classify(hit).kind == "ci-exit"
    n_before, lines = read(log, hit)
    assert n_before == min(EXIT_BEFORE, 101)
    assert lines[0] == "$ ./check.sh" and lines[n_before] == hit


def test_block_stops_at_the_class_limit() -> None:
    log = "There were 2 errors:\n" + "".join(f"detail {i}\n" for i in range(1_000))
    cls = classify("There were 2 errors:")
    _, lines = read(log, "There were 2 errors:")
    assert len(lines) == 1 + max(cls.after, cls.block)


def test_long_line_is_cut_around_the_focus() -> None:
    buf = b"x" * 20_000 + b" error: here " + b"y" * 20_000 + b"\nnext\n"
    focus = buf.index(b"error")
    text, rel = raw_line(buf, 0, focus)
    assert text[rel : rel + 5] == "error"
    assert text.startswith("[… ") and text.endswith("bytes cut]")
    assert line_end(buf, 0) == buf.index(b"\n")


def test_exception_stack_survives_a_runner_note_before_the_test_location() -> None:
    frames = "".join(f"/gems/minitest/lib/test.rb:{i}:in `run'\n" for i in range(30))
    log = (
        "RuntimeError: rails command failed (1)\n"
        + frames
        + "Tasks: TOP => db:migrate\n"
        + "(See full trace by running task with --trace)\n"
        + "\n"
        + "    test/application/rake/dbs_test.rb:164:in `block in <class:RakeDbsTest>'\n"
        + "\n"
        + "rails test test/application/rake/dbs_test.rb:160\n"
        + "..\n"
        + "Finished tests\n"
        + "unrelated\n"
    )
    _, lines = read(log, "RuntimeError: rails command failed (1)")
    assert "    test/application/rake/dbs_test.rb:164:in `block in <class:RakeDbsTest>'" in lines
    assert lines[-1] == "Finished tests"  # the third non-frame line in a row ends it
    assert "unrelated" not in lines

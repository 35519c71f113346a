"""What real CI logs do to a reducer, one small self-made log per structure (issue 14).

Each log is generic (made up here, not taken from a corpus) and set inside passing output, so
that the budget has to choose: a failure far from the end, several errors competing, a block
larger than the budget, very long lines, carriage-return redraws, space-padded tables,
expected/actual diffs, sanitizer and crash reports, and passing suites' summaries.
"""

from __future__ import annotations

import random

from argusai.cilog.labels import normalise_text
from argusai.cilog.reduce import DEFAULT_BUDGET, Reduction, reduce_bytes


def passing(lines: int, seed: int = 0) -> str:
    """Passing test-run output with the harmless noise real runs carry (varied numbers)."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        roll = rng.random()
        if roll < 0.01:
            out.append(f"WARN cache miss for key build-{rng.randrange(10**6)}, retrying (1/3)\n")
        elif roll < 0.015:
            out.append(f"  ✓ handles error responses from the api ({rng.randrange(90)} ms)\n")
        elif roll < 0.02:
            out.append(f"DEBUG worker-{i % 7} logged error_count=0 after {i} jobs\n")
        else:
            out.append(f"test_suite_{i % 211}.case_{i} ... ok ({rng.randrange(1, 99)} ms)\n")
    return "".join(out)


def kept(result: Reduction, *lines: str) -> list[str]:
    """The given lines that are missing from the excerpt (normalised as the labels are)."""
    text = normalise_text(result.excerpt)
    return [line for line in lines if normalise_text(line) not in text]


def reduce(log: str, budget: int = DEFAULT_BUDGET) -> Reduction:
    result = reduce_bytes(log.encode(), budget=budget)
    assert result.tokens <= budget
    return result


# --- a failure far from the end ---------------------------------------------------------------

UNITTEST_FAILURE = (
    "======================================================================\n"
    "FAIL: test_refund_rounding (shop.tests.test_refunds.RefundTest.test_refund_rounding)\n"
    "----------------------------------------------------------------------\n"
    "Traceback (most recent call last):\n"
    '  File "/src/shop/tests/test_refunds.py", line 88, in test_refund_rounding\n'
    '    self.assertEqual(refund(order), Decimal("10.05"))\n'
    "AssertionError: Decimal('10.04') != Decimal('10.05')\n"
    "----------------------------------------------------------------------\n"
)


def test_failure_tens_of_thousands_of_lines_before_the_end() -> None:
    log = (
        "$ python -m unittest discover\n"
        + passing(2_000)
        + UNITTEST_FAILURE
        + passing(40_000, seed=1)
        + "Ran 42001 tests in 801.2s\n\nFAILED (failures=1)\n"
        + 'The command "python -m unittest discover" exited with 1.\n'
    )
    result = reduce(log)
    assert not kept(
        result,
        "FAIL: test_refund_rounding (shop.tests.test_refunds.RefundTest.test_refund_rounding)",
        '  File "/src/shop/tests/test_refunds.py", line 88, in test_refund_rounding',
        "AssertionError: Decimal('10.04') != Decimal('10.05')",
        "FAILED (failures=1)",
    )
    assert result.lines_in - result.blocks[0].line > 40_000 or any(
        b.text.startswith("FAIL: test_refund_rounding") for b in result.blocks
    )


def test_weak_failure_far_before_its_command_exit_is_kept() -> None:
    # A script's only clue is a generic line thousands of lines before its command's exit.
    log = (
        "$ ./scripts/check-links.sh\n"
        + passing(300)
        + "check-links: 1 link failed: docs/install.md -> https://example.invalid/setup\n"
        + passing(6_000, seed=2)
        + 'The command "./scripts/check-links.sh" exited with 1.\n'
        + "Done. Your build exited with 1.\n"
    )
    result = reduce(log)
    assert not kept(
        result, "check-links: 1 link failed: docs/install.md -> https://example.invalid/setup"
    )


def test_failure_far_from_any_exit_keeps_the_lines_after_its_block() -> None:
    # The check's findings follow its error line unindented: no block rule reads them, and
    # neither the log's end nor a failed command's exit line is near enough to show them.
    findings = "".join(f"config/service-{name}.yml: missing key 'owner'\n" for name in FEATURES)
    log = (
        "$ ./ci/validate-and-test.sh\n"
        + passing(400)
        + "ERROR: schema validation failed for 12 files:\n"
        + findings
        + passing(8_000, seed=15)
        + "validate-and-test: 1 step failed\n"
        + 'The command "./ci/validate-and-test.sh" exited with 1.\n'
    )
    result = reduce(log)
    assert not kept(result, *findings.splitlines())


# --- several errors competing for the budget --------------------------------------------------


FEATURES = (
    "Login", "Logout", "Search", "Checkout", "Refund", "Invoice",
    "Upload", "Export", "Profile", "Settings", "Billing", "Audit",
)  # fmt: skip


def junit_failure(name: str, i: int, frames: int) -> str:
    stack = "".join(
        f"\tat org.example.layer{k}.Handler{k}.invoke(Handler{k}.java:{k + 10})\n"
        for k in range(frames)
    )
    return (
        f"Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.{i} s <<< FAILURE!"
        f" - in org.example.{name}Test\n"
        f"check{name}(org.example.{name}Test)  Time elapsed: 0.01 s  <<< FAILURE!\n"
        # The same assertion in every test: one template, different numbers.
        f"java.lang.AssertionError: expected:<{200 + i}> but was:<{500 + i}>\n" + stack
    )


def test_several_failures_each_keep_their_headline() -> None:
    failures = "".join(
        junit_failure(name, i, 120) + passing(400, seed=i) for i, name in enumerate(FEATURES)
    )
    summary = "".join(f"  {name}Test.check{name}:17 expected\n" for name in FEATURES)
    log = (
        "$ mvn -B verify\n"
        + passing(1_000)
        + failures
        + "Results :\n\nFailed tests: \n"
        + summary
        + "\nTests run: 48, Failures: 12, Errors: 0, Skipped: 0\n\n"
        + "[INFO] BUILD FAILURE\n"
        + 'The command "mvn -B verify" exited with 1.\n'
    )
    result = reduce(log)
    for i, name in enumerate(FEATURES):
        assert not kept(
            result,
            f"check{name}(org.example.{name}Test)  Time elapsed: 0.01 s  <<< FAILURE!",
            f"java.lang.AssertionError: expected:<{200 + i}> but was:<{500 + i}>",
        ), name
    assert not kept(result, *summary.splitlines(), "[INFO] BUILD FAILURE")


# --- a failure block larger than the budget ----------------------------------------------------


def test_block_larger_than_the_budget_keeps_head_names_and_tail() -> None:
    causes = ""
    for depth in range(6):
        causes += f"Caused by: org.example.LayerException: layer {depth} could not start\n"
        causes += "".join(
            f"\tat org.example.boot{depth}.Step{k}.run(Step{k}.java:{k + 1})\n" for k in range(90)
        )
        causes += "\t... 42 more\n"
    block = (
        "testStartsWithConfig(org.example.BootTest)  Time elapsed: 2.1 s  <<< ERROR!\n"
        "org.example.BootException: application failed to start\n"
        + "".join(f"\tat org.example.Boot.phase{k}(Boot.java:{k + 1})\n" for k in range(60))
        + causes
        + "Caused by: java.io.FileNotFoundException: /etc/app/config.yml (No such file)\n"
        + "\tat java.io.FileInputStream.open0(Native Method)\n"
        + "\tat org.example.Config.load(Config.java:33)\n"
        + "\t... 97 more\n"
    )
    log = (
        "$ ./gradlew test\n"
        + passing(500)
        + block
        + passing(300, seed=3)
        + 'The command "./gradlew test" exited with 1.\n'
    )
    result = reduce(log, budget=1_500)
    assert not kept(
        result,
        "testStartsWithConfig(org.example.BootTest)  Time elapsed: 2.1 s  <<< ERROR!",
        "org.example.BootException: application failed to start",
        "Caused by: java.io.FileNotFoundException: /etc/app/config.yml (No such file)",
        "\tat org.example.Config.load(Config.java:33)",
    )
    head = result.excerpt.index("org.example.BootException: application failed to start")
    root = result.excerpt.index("Caused by: java.io.FileNotFoundException")
    assert "lines omitted" in result.excerpt[head:root]


def test_long_failure_section_keeps_each_failing_test_name() -> None:
    # One pytest FAILURES section of ~3,000 lines: captured logs under each failure.
    section = "=================================== FAILURES ===================================\n"
    for i in range(8):
        section += f"_____________________________ test_sync_{i} _____________________________\n\n"
        section += f"    def test_sync_{i}():\n>       assert sync(batch={i}) == {i}\n"
        section += f"E       assert {i + 1} == {i}\n\ntests/test_sync.py:{20 + i}: AssertionError\n"
        section += (
            "------------------------------ Captured log call -------------------------------\n"
        )
        section += "".join(f"INFO sync: fetched page {k} of 400\n" for k in range(380))
    log = (
        "$ pytest -q\n"
        + passing(200)
        + section
        + "=========================== short test summary info ============================\n"
        + "".join(
            f"FAILED tests/test_sync.py::test_sync_{i} - assert {i + 1} == {i}\n" for i in range(8)
        )
        + "========================= 8 failed, 200 passed in 9.1s =========================\n"
        + 'The command "pytest -q" exited with 1.\n'
    )
    result = reduce(log, budget=2_000)
    for i in range(8):
        assert not kept(result, f"_ test_sync_{i} _", f"E       assert {i + 1} == {i}"), i


# --- very long lines ---------------------------------------------------------------------------


def test_long_line_keeps_its_head_its_error_and_its_end() -> None:
    html = "".join(f"<li class='item-{i}'>Item {i}</li>" for i in range(110))
    line = f"AssertionError: expected '<ul>{html}</ul>' to include 'Welcome back, Ada'"
    assert len(line) > 3_000
    record = (
        '{"level":"error","ts":1717171717.123,"caller":"store/migrate.go:88","payload":"'
        + "ab12" * 400
        + '","error":"pq: duplicate key value violates unique constraint \\"users_email_key\\"",'
        + '"stacktrace":"'
        + "main.run\\n\\t/src/main.go:12" * 90
        + '"}'
    )
    assert len(record) > 3_000
    log = passing(2_000) + line + "\n" + passing(50, seed=4) + record + "\n" + passing(30, seed=5)
    result = reduce(log)
    assert not kept(result, "AssertionError: expected '<ul><li class='item-0'>Item 0</li>")
    assert not kept(result, "</ul>' to include 'Welcome back, Ada'")
    assert not kept(result, '{"level":"error","ts":1717171717.123,"caller":"store/migrate.go:88"')
    assert not kept(result, 'pq: duplicate key value violates unique constraint \\"users_email_key')
    assert "chars cut]" in result.excerpt
    # an error line is kept whole up to 3,000 characters, a longer one is clipped to about that
    assert max(len(x) for x in result.excerpt.splitlines()) < 3_200


def test_a_long_context_line_under_the_cap_is_kept_whole() -> None:
    # A test runner's "received" value printed on one line, under its assertion: 2,300 chars.
    received = "[" + ", ".join(f'"warning {i}: grid-area {i} is not defined"' for i in range(55))
    received += "]"
    assert 2_000 < len(received) < 2_500
    failure = (
        "  ● grid › warns about undefined areas\n"
        "    expect(received).toEqual(expected)\n"
        "    Received:\n"
        f"      {received}\n"
    )
    result = reduce(passing(3_000) + failure + passing(60, seed=2))
    assert not kept(result, "expect(received).toEqual(expected)", received)


def test_a_long_line_over_the_cap_is_clipped_with_a_marker() -> None:
    payload = "x" * 6_000
    line = f"    at parse (/src/json.js:12) while reading {payload} near offset 5999"
    failure = "TypeError: cannot read the record\n" + line + "\n"
    result = reduce(passing(3_000) + failure + passing(60, seed=3))
    assert not kept(result, "TypeError: cannot read the record")
    assert "chars cut]" in result.excerpt
    assert "near offset 5999" in result.excerpt  # the end of the line survives the cut


# --- a failed test reported after its output ---------------------------------------------------


def test_the_line_that_started_a_failed_tap_test_is_kept() -> None:
    # TAP prints the test's output first and "not ok N name" after it; the line that started
    # the test names it too, 20 lines of diagnostics before the report.
    diagnostics = "".join(f"  debug: resolver attempt {i} on 10.0.0.{i}\n" for i in range(20))
    failure = (
        "# Starting Test: dns - resolve over tcp\n"
        "  /src/tests/libs/tap.lua:83: Missing 1 expected call\n"
        + diagnostics
        + "not ok 24 dns - resolve over tcp\n"
    )
    log = passing(3_000) + failure + passing(300, seed=6)
    result = reduce(log)
    assert not kept(
        result,
        "# Starting Test: dns - resolve over tcp",
        "/src/tests/libs/tap.lua:83: Missing 1 expected call",
        "not ok 24 dns - resolve over tcp",
    )


def test_go_test_run_line_is_kept_with_its_failure_far_below() -> None:
    output = "".join(f"    proxy_test.go:{40 + i}: dialing upstream {i}\n" for i in range(600))
    failure = (
        "=== RUN   TestParallelDial\n" + output + "--- FAIL: TestParallelDial (2.67s)\n"
        "    proxy_test.go:126: Error: Should be true\n"
    )
    log = passing(3_000) + failure + "FAIL\tgithub.com/acme/proxy\t3.1s\n" + passing(40, seed=7)
    result = reduce(log, budget=2_000)
    assert not kept(
        result,
        "=== RUN TestParallelDial",
        "--- FAIL: TestParallelDial (2.67s)",
        "proxy_test.go:126: Error: Should be true",
    )
    run_at = result.excerpt.index("=== RUN")
    assert "lines omitted" in result.excerpt[run_at : result.excerpt.index("--- FAIL")]


def test_a_titled_section_right_before_a_failed_test_is_its_output() -> None:
    # A runner that prints a failed test's diff between titled banners, then its verdict;
    # expected failures print the same sections (and compete for the budget) before theirs.
    def section(test: str, verdict: str, lines: int) -> str:
        body = "".join(f"{i:03d}- expected line {i} of {test}\n" for i in range(lines))
        return f"========DIFF========\n{body}========DONE========\n{verdict} {test}\n"

    def xfails(first: int) -> str:
        return "".join(
            passing(150, seed=first + i) + section(f"known bug {first + i}", "XFAIL", 30)
            for i in range(6)
        )

    failure = section("socket receive basic test", "FAIL", 40)
    log = passing(2_000) + xfails(10) + failure + xfails(20) + passing(600, seed=9)
    result = reduce(log)
    assert not kept(
        result,
        "000- expected line 0 of socket receive basic test",
        "039- expected line 39 of socket receive basic test",
        "FAIL socket receive basic test",
    )


# --- progress redrawn with carriage returns -----------------------------------------------------


def test_carriage_return_redraws_keep_the_last_state_and_error_text() -> None:
    fetch = "".join(f"Receiving objects: {p:3d}% ({p * 12}/1200)\r" for p in range(0, 60, 3))
    fetch += "error: RPC failed; curl 56 connection reset by peer\r"
    fetch += "".join(f"Receiving objects: {p:3d}% ({p * 12}/1200)\r" for p in range(60, 101, 5))
    fetch += "Receiving objects: 100% (1200/1200), done.\n"
    spinner = "".join(f"{c} Resolving packages\r" for c in "|/-\\" * 30) + "Resolved 812 packages\n"
    overwrite = "    cache_test.go:31: \r\tError:      \tNot equal: expected 3, actual 2\n"
    log = (
        "$ ./ci/fetch-and-test.sh\n"
        + passing(1_500)
        + spinner
        + fetch
        + passing(20, seed=6)
        + overwrite
        + passing(1_000, seed=7)
        + 'The command "./ci/fetch-and-test.sh" exited with 1.\n'
    )
    result = reduce(log)
    assert not kept(
        result,
        "error: RPC failed; curl 56 connection reset by peer",
        "Receiving objects: 100% (1200/1200), done.",
        "cache_test.go:31:",
        "Error: Not equal: expected 3, actual 2",
    )
    assert "Receiving objects:  57%" not in result.excerpt
    assert "/ Resolving packages" not in result.excerpt


# --- space-padded tables -----------------------------------------------------------------------


def test_space_padded_table_keeps_the_failing_row_and_folds_passing_rows() -> None:
    targets = ("parser", "lexer", "codegen", "runtime", "storage", "network")
    rows = []
    for i in range(1, 361):
        name = f"//{targets[i % 6]}/tests:case_{targets[(i * 7) % 6]}_{i:03d}_test"
        status = "FAILED in 12.4s" if i == 217 else f"PASSED in {i % 9}.{i % 10}s"
        rows.append(f"{name:<70}{status:>20}\n")
    log = (
        "▶ Run bazel test //...\n"
        + passing(800)
        + "".join(rows)
        + "\nExecuted 360 out of 360 tests: 359 tests pass and 1 fails locally.\n"
        + "##[error]Process completed with exit code 3.\n"
    )
    result = reduce(log, budget=1_200)
    failing = rows[216].rstrip()
    assert not kept(
        result, failing, "Executed 360 out of 360 tests: 359 tests pass and 1 fails locally."
    )
    shown = [row for row in rows if row.rstrip() in result.excerpt]
    assert len(shown) < 60  # passing rows are folded, not spent on
    assert any(block.text == failing for block in result.blocks)


def test_right_aligned_columns_fold_like_any_near_duplicate() -> None:
    # The padding before a right-aligned number changes with its width.
    table = "".join(f"  layer {i:>4}/1200 {i * 37 % 100_000:>9} KB  pulled\n" for i in range(1200))
    log = (
        "▶ Run docker compose pull\n"
        + table
        + "Error response from daemon: manifest for example/api:9.9 not found\n"
        + "##[error]Process completed with exit code 18.\n"
    )
    result = reduce(log, budget=1_000)
    assert not kept(result, "Error response from daemon: manifest for example/api:9.9 not found")
    assert result.excerpt.count("KB  pulled") <= 4  # one run: its first three and last
    assert "similar lines omitted" in result.excerpt


# --- test runners' expected/actual diffs --------------------------------------------------------

JEST_DIFF = """  ● CartSummary › renders the discounted total

    expect(received).toEqual(expected) // deep equality

    - Expected  - 3
    + Received  + 3

      Object {
        "currency": "EUR",
    -   "discount": 150,
    -   "total": 1050,
    -   "vat": 210,
    +   "discount": 0,
    +   "total": 1200,
    +   "vat": 240,
      }

      41 |     const summary = summarize(cart);
      42 |
    > 43 |     expect(summary).toEqual({ currency: "EUR", discount: 150, total: 1050, vat: 210 });
         |                     ^
      44 |   });

      at Object.<anonymous> (src/cart/summary.test.ts:43:21)
"""

RSPEC_DIFF = """  1) Invoice#render includes the customer address
     Failure/Error: expect(invoice.render).to eq(expected_text)

       expected: "ACME Corp\\nMain Street 1\\n12345 Springfield"
            got: "ACME Corp\\nMain Street 1"

       (compared using ==)

       Diff:
       @@ -1,3 +1,2 @@
        ACME Corp
        Main Street 1
       -12345 Springfield

     # ./spec/invoice_spec.rb:27:in `block (2 levels) in <top (required)>'
"""

TESTIFY_DIFF = """--- FAIL: TestRouteTable (0.00s)
    routes_test.go:58:
        \tError Trace:\troutes_test.go:58
        \tError:      \tNot equal:
        \t            \texpected: []string{"/api", "/health", "/metrics"}
        \t            \tactual  : []string{"/api", "/health"}
        \t            \t
        \t            \tDiff:
        \t            \t--- Expected
        \t            \t+++ Actual
        \t            \t@@ -1,5 +1,4 @@
        \t            \t (len=3) {
        \t            \t  (string) (len=4) "/api",
        \t            \t- (string) (len=7) "/health",
        \t            \t- (string) (len=8) "/metrics"
        \t            \t+ (string) (len=7) "/health"
        \t            \t }
        \tTest:       \tTestRouteTable
"""


def test_expected_actual_diffs_are_kept_whole() -> None:
    log = (
        "$ make test\n"
        + passing(1_500)
        + JEST_DIFF
        + passing(900, seed=8)
        + RSPEC_DIFF
        + passing(900, seed=9)
        + TESTIFY_DIFF
        + passing(900, seed=10)
        + "make: *** [Makefile:12: test] Error 1\n"
        + 'The command "make test" exited with 2.\n'
    )
    result = reduce(log)
    for diff in (JEST_DIFF, RSPEC_DIFF, TESTIFY_DIFF):
        lines = [line for line in diff.splitlines() if len(line.strip()) > 2]
        assert not kept(result, *lines)


# --- sanitizer and crash reports -----------------------------------------------------------------

TSAN = """==================
WARNING: ThreadSanitizer: data race (pid=4242)
  Write of size 8 at 0x7b0400000010 by thread T2:
    #0 queue_push src/queue.c:41 (worker+0x4a1b2)
    #1 producer src/worker.c:88 (worker+0x4b3c4)

  Previous read of size 8 at 0x7b0400000010 by thread T1:
    #0 queue_pop src/queue.c:57 (worker+0x4a2f0)
    #1 consumer src/worker.c:102 (worker+0x4b4d8)

  Location is heap block of size 64 at 0x7b0400000000 allocated by main thread:
    #0 malloc <null> (worker+0x3c1a0)
    #1 queue_new src/queue.c:12 (worker+0x4a010)

SUMMARY: ThreadSanitizer: data race src/queue.c:41 in queue_push
==================
"""

PY_CRASH = """Fatal Python error: Segmentation fault

Current thread 0x00007f3a1c9ff740 (most recent call first):
  File "/src/imaging/resize.py", line 61 in _native_resize
  File "/src/imaging/resize.py", line 34 in resize
  File "/src/tests/test_resize.py", line 19 in test_resize_huge
"""

CPP_ABORT = """terminate called after throwing an instance of 'std::out_of_range'
  what():  vector::_M_range_check: __n (which is 7) >= this->size() (which is 7)
Aborted (core dumped)
"""


def test_sanitizer_and_crash_reports_are_kept_with_their_frames() -> None:
    log = (
        "▶ Run ctest --output-on-failure\n"
        + passing(1_500)
        + TSAN
        + passing(700, seed=11)
        + PY_CRASH
        + passing(700, seed=12)
        + CPP_ABORT
        + passing(700, seed=13)
        + "##[error]Process completed with exit code 8.\n"
    )
    result = reduce(log)
    for report in (TSAN, PY_CRASH, CPP_ABORT):
        lines = [line for line in report.splitlines() if len(line.strip()) > 2]
        assert not kept(result, *[line for line in lines if set(line) != {"="}])
    shadow = "".join(f"  0x0c047fff{i:04x}: fa fa fa fa fd fd fd fd fa fa\n" for i in range(40))
    asan = (
        "==77==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n"
        "READ of size 4 at 0x602000000010 thread T0\n"
        "    #0 0x4f1a2b in ring_pop src/ring.c:54\n"
        "    #1 0x4f1c9d in main src/main.c:20\n"
        "SUMMARY: AddressSanitizer: heap-use-after-free src/ring.c:54 in ring_pop\n"
        "Shadow bytes around the buggy address:\n" + shadow + "==77==ABORTING\n"
    )
    result = reduce(passing(1_000) + asan + passing(2_000, seed=14), budget=800)
    assert not kept(result, *asan.splitlines()[:5])


# --- passing suites' summaries -------------------------------------------------------------------


def test_passing_suites_summaries_are_not_taken_for_the_failure() -> None:
    suites = (
        "Ran 120 tests in 2.104s\n\nOK\n",
        "Tests:       0 failed, 80 passed, 80 total\n",
        "Summary: Failed: 0, Passed: 64, Skipped: 2\n",
        "120 examples, 0 failures\n",
        "test result: ok. 33 passed; 0 failed; 0 ignored; 0 measured\n",
        "Errors: 0  Warnings: 0  Failures: 0\n",
    )
    log = "".join(f"$ make suite-{i}\n" + passing(300, seed=i) + s for i, s in enumerate(suites))
    log += (
        "$ make suite-web\n"
        + passing(300, seed=20)
        + "  1) checkout form rejects an expired card:\n"
        + "     Error: expected status 422 but got 200\n"
        + "      at Context.<anonymous> (test/checkout.spec.js:88:14)\n"
        + "\n  118 passing (3s)\n  1 failing\n\n"
        + 'The command "make suite-web" exited with 2.\n'
    )
    result = reduce(log, budget=600)
    assert not kept(result, "Error: expected status 422 but got 200")
    summaries = [line for s in suites for line in s.splitlines() if line.strip()]
    assert not any(block.text in summaries for block in result.blocks)

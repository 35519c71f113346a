"""End to end: the review prompt quotes the code around the change, fetched at the head SHA.

The fake GitHub serves the head texts through the contents API; what reached the LLM is
read from the fake LLM's recorded requests, what the summary says from the fake GitHub.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from argusai.review.context_files import _BLOBS
from argusai.review.prompt import CONTEXT_RULES_VERSION, PROMPT_VERSION
from tests.conftest import SHARED
from tests.fakes.fake_llm import user_prompt
from tests.support import FakeWorld, load_fixture

OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

MAIN = """from app.util import normalise


def handle(request):
    name = request.name
    return normalise(name)
"""
MAIN_PATCH = (
    "@@ -4,2 +4,3 @@\n def handle(request):\n     name = request.name\n+    return normalise(name)"
)
UTIL = '''def normalise(value):
    """Trim a name and lower-case it."""
    return value.strip().lower()
'''


def _long_method() -> tuple[str, str]:
    body = [f"        step_{i} = items[{i}]" for i in range(60)]
    lines = [
        "class Batcher:",
        "    def process_batch(self, items, *, limit=100):",
        '        """Process the items of one batch."""',
        *body,
        "        return limit",
        "",
    ]
    text = "\n".join(lines)
    # a hunk near the end of the method: its signature (line 2) is far outside the diff
    at = 60
    patch = (
        f"@@ -{at},3 +{at},4 @@\n {lines[at - 1]}\n {lines[at]}\n"
        f"+        total = sum(items)\n {lines[at + 1]}"
    )
    text_lines = text.split("\n")
    text_lines.insert(at + 1, "        total = sum(items)")
    return "\n".join(text_lines), patch


@pytest.fixture(autouse=True)
def _fresh_blob_cache() -> Iterator[None]:
    _BLOBS.clear()
    yield
    _BLOBS.clear()


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    world = make_world()
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.llm.responder = lambda _req: {"summary": "Looks fine.", "findings": []}
    return world


def _review(world: FakeWorld, files: dict[str, str]) -> tuple[str, str]:
    world.gh.add_pull(OWNER, NAME, NUMBER, files=files, head_sha=HEAD, title="Normalise names")
    payload: dict[str, Any] = load_fixture(SHARED, "pull_request", "opened.json")
    assert world.deliver("pull_request", payload).status_code == 202
    world.run_worker()
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    return user_prompt(world.llm.requests[0].json), summary["body"]


def test_definition_in_another_file_reaches_the_prompt(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, "app/main.py", MAIN, ref=HEAD)
    world.gh.set_file(OWNER, NAME, "app/util.py", UTIL, ref=HEAD)
    prompt, summary = _review(world, {"app/main.py": MAIN_PATCH})

    diff_end = prompt.index("</untrusted_diff>")
    context = prompt[diff_end:]
    assert "<untrusted_code_context>" in context  # after the diff, delimited
    assert "def normalise(value):" in context
    assert "Trim a name and lower-case it." in context
    assert "+    return normalise(name)" in prompt[:diff_end]  # the diff itself is whole
    assert "Code context:" in summary and "normalise" in summary
    assert "app/util.py" in summary
    assert CONTEXT_RULES_VERSION in PROMPT_VERSION and PROMPT_VERSION in summary


def test_hunk_inside_a_long_method_gets_its_signature(world: FakeWorld) -> None:
    text, patch = _long_method()
    world.gh.set_file(OWNER, NAME, "batch.py", text, ref=HEAD)
    prompt, summary = _review(world, {"batch.py": patch})

    diff, context = prompt.split("</untrusted_diff>", 1)
    assert "def process_batch(self, items, *, limit=100):" not in diff
    assert "def process_batch(self, items, *, limit=100):" in context
    assert "Batcher.process_batch" in summary


def test_file_missing_at_head_is_reviewed_from_its_hunks_with_a_note(world: FakeWorld) -> None:
    prompt, summary = _review(world, {"app/main.py": MAIN_PATCH})

    assert "<untrusted_code_context>" not in prompt
    assert "+    return normalise(name)" in prompt
    assert "not found at the head; reviewed from its hunks only" in summary
    assert "app/main.py" in summary


def test_context_never_pushes_the_diff_out(make_world: Callable[..., FakeWorld]) -> None:
    world = make_world(llm_context_tokens=1_000)  # hardly more than the diff and the frame
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.llm.responder = lambda _req: {"summary": "ok", "findings": []}
    text, patch = _long_method()
    world.gh.set_file(OWNER, NAME, "batch.py", text, ref=HEAD)
    prompt, _summary = _review(world, {"batch.py": patch})

    assert "+        total = sum(items)" in prompt.split("</untrusted_diff>", 1)[0]

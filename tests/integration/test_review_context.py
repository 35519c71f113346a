"""End to end: the review prompt quotes the code around the change, read at the head SHA.

The fake GitHub serves the head commit's tree and blobs (and the contents API, the fallback);
what reached the LLM is read from the fake LLM's recorded requests, what the summary says
and which requests were made from the fake GitHub.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from argusai.review import context_files
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
def _fresh_caches() -> Iterator[None]:
    context_files._MEMORY.clear()
    context_files._TREES.clear()
    yield
    context_files._MEMORY.clear()
    context_files._TREES.clear()


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    world = make_world()
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.llm.responder = lambda _req: {"summary": "Looks fine.", "findings": []}
    return world


def _review(
    world: FakeWorld, files: dict[str, str], *, number: int = NUMBER, head: str = HEAD
) -> tuple[str, str]:
    world.gh.add_pull(OWNER, NAME, number, files=files, head_sha=head, title="Normalise names")
    payload: dict[str, Any] = load_fixture(SHARED, "pull_request", "opened.json")
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head
    assert world.deliver("pull_request", payload).status_code == 202
    world.run_worker()
    (summary,) = world.gh.issue_comments(OWNER, NAME, number)
    return user_prompt(world.llm.requests[-1].json), summary["body"]


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


# ---- definitions elsewhere in the repository, read as blobs through the cache -----------

CONTROLLER = """class UsersController < ApplicationController
  def create
    user = find_user(params)
    render json: user
  end
end
"""
CONTROLLER_PATCH = (
    "@@ -1,6 +1,6 @@\n class UsersController < ApplicationController\n   def create\n"
    "-    user = find_user(params)\n+    user = UserService.call(params)\n"
    "     render json: user\n   end\n end"
)
SERVICE = """class UserService
  # Finds or creates the user of a sign-in.
  def self.call(params)
    User.find_or_create_by(email: params[:email])
  end
end
"""
PKG_INIT = "from .text import normalise\nfrom .numbers import clamp\n"
PKG_MAIN = "from app import normalise\n\n\ndef handle(request):\n    name = request.name\n"
NUMBERS = "def clamp(value, low, high):\n    return max(low, min(value, high))\n"
HEAD_2 = "5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0f"


def _set_files(world: FakeWorld, files: dict[str, str], head: str = HEAD) -> None:
    for path, text in files.items():
        world.gh.set_file(OWNER, NAME, path, text, ref=head)


def _blob_requests(world: FakeWorld) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in world.gh.requests("GET", "/repos/*/git/blobs/*")]


def test_definition_in_a_file_nobody_imports_reaches_the_prompt(world: FakeWorld) -> None:
    controller = CONTROLLER.replace("find_user(params)", "UserService.call(params)")
    _set_files(
        world,
        {
            "app/controllers/users_controller.rb": controller,
            "app/services/user_service.rb": SERVICE,
            "app/services/audit_log.rb": "class AuditLog\n  def self.write(line)\n  end\nend\n",
            "lib/tasks/cleanup.rb": "def cleanup\nend\n",
        },
    )
    prompt, summary = _review(world, {"app/controllers/users_controller.rb": CONTROLLER_PATCH})

    context = prompt.split("</untrusted_diff>", 1)[1]
    assert "class UserService" in context
    assert "def self.call(params)" in context
    assert "app/services/user_service.rb" in summary
    assert world.gh.route_counts()["get_tree"] == 1
    assert not world.gh.requests("GET", "/repos/*/contents/app/*")  # blobs by id, not paths


def test_reexported_definition_is_followed_to_its_module(world: FakeWorld) -> None:
    main = PKG_MAIN + "    return normalise(name)\n"
    patch = (
        "@@ -4,2 +4,3 @@\n def handle(request):\n     name = request.name\n"
        "+    return normalise(name)"
    )
    _set_files(
        world,
        {
            "app/main.py": main,
            "app/__init__.py": PKG_INIT,
            "app/text.py": UTIL,
            "app/numbers.py": NUMBERS,
        },
    )
    prompt, summary = _review(world, {"app/main.py": patch})

    context = prompt.split("</untrusted_diff>", 1)[1]
    assert "def normalise(value):" in context
    assert "Trim a name and lower-case it." in context
    assert "def clamp" not in context  # re-exported too, but not used
    assert "app/text.py" in summary


def test_second_review_reads_shared_blobs_from_the_cache(world: FakeWorld) -> None:
    shared = {
        "app/__init__.py": PKG_INIT,
        "app/text.py": UTIL,
        "app/numbers.py": NUMBERS,
    }
    patch = "@@ -4,2 +4,3 @@\n def handle(request):\n     name = request.name\n+    return {call}"
    _set_files(world, {**shared, "app/main.py": PKG_MAIN + "    return normalise(name)\n"})
    first_prompt, _ = _review(world, {"app/main.py": patch.format(call="normalise(name)")})
    first = _blob_requests(world)
    world.gh.clear_requests()

    main_2 = PKG_MAIN + "    return normalise(name) or name\n"
    _set_files(world, {**shared, "app/main.py": main_2}, head=HEAD_2)
    prompt, summary = _review(
        world, {"app/main.py": patch.format(call="normalise(name) or name")}, number=3, head=HEAD_2
    )
    second = _blob_requests(world)

    assert "def normalise(value):" in first_prompt.split("</untrusted_diff>", 1)[1]
    assert "def normalise(value):" in prompt.split("</untrusted_diff>", 1)[1]
    assert len(first) == 3  # main, __init__ and text: the two trees share all but main.py
    assert len(second) == 1  # the new main.py; the rest came from the blob cache
    assert not set(first) & set(second)
    assert "app/text.py" in summary


def test_tree_not_available_falls_back_to_paths_with_a_note(world: FakeWorld) -> None:
    world.gh.fail("GET", "/repos/*/git/trees/*", 500, times=5)
    _set_files(world, {"app/main.py": MAIN, "app/util.py": UTIL})
    prompt, summary = _review(world, {"app/main.py": MAIN_PATCH})

    assert "def normalise(value):" in prompt.split("</untrusted_diff>", 1)[1]  # by path
    assert "repository tree not available" in summary
    assert "nothing looked up elsewhere in the repository" in summary
    assert "Looks fine." in summary  # the review was posted all the same


def test_truncated_tree_lists_the_reviewed_folders_one_by_one(world: FakeWorld) -> None:
    # GitHub lists 2 entries of the recursive tree and says it is truncated: the folder of
    # the reviewed file is listed level by level, so its import and a definition in a file
    # of the same folder nobody imports are found; a folder never listed is not searched.
    controller = CONTROLLER.replace("find_user(params)", "UserService.call(params)")
    deep = "app/controllers/admin"
    _set_files(
        world,
        {
            f"{deep}/users_controller.rb": controller,
            f"{deep}/user_service.rb": SERVICE,
            "lib/tasks/cleanup.rb": "def cleanup\nend\n",
        },
    )
    world.gh.set_tree_limit(OWNER, NAME, 2)
    prompt, summary = _review(world, {f"{deep}/users_controller.rb": CONTROLLER_PATCH})

    context = prompt.split("</untrusted_diff>", 1)[1]
    assert "class UserService" in context
    assert "too large for GitHub to list whole: the reviewed files' folders" in summary
    trees = world.gh.requests("GET", "/repos/*/git/trees/*")
    # the recursive listing (truncated after "app" and "app/controllers"), then the deepest
    # folder it had and the one below it: app/controllers, app/controllers/admin
    assert len(trees) == 3
    assert not world.gh.requests("GET", "/repos/*/contents/app/*")  # blobs by id, not paths
    assert "Looks fine." in summary


def test_blob_not_found_leaves_the_file_hunk_only_with_a_note(world: FakeWorld) -> None:
    world.gh.fail("GET", "/repos/*/git/blobs/*", 404, times=20)
    _set_files(world, {"app/main.py": MAIN, "app/util.py": UTIL})
    prompt, summary = _review(world, {"app/main.py": MAIN_PATCH})

    assert "<untrusted_code_context>" not in prompt
    assert "+    return normalise(name)" in prompt
    assert "app/main.py: could not be fetched; reviewed from its hunks only" in summary


def test_large_changed_file_gives_scopes_only_and_a_huge_one_is_not_read(
    world: FakeWorld,
) -> None:
    text, patch = _long_method()
    padding = "\n# " + "x" * 100
    big = text + padding * 2_100  # over 200,000 characters
    huge = "def f():\n    return 1\n" + padding * 11_000  # over 1 MiB
    huge_patch = "@@ -1,2 +1,2 @@\n def f():\n-    return 0\n+    return 1"
    _set_files(world, {"batch.py": big, "huge.py": huge})
    prompt, summary = _review(world, {"batch.py": patch, "huge.py": huge_patch})

    context = prompt.split("</untrusted_diff>", 1)[1]
    assert "def process_batch(self, items, *, limit=100):" in context  # its scope
    assert "batch.py: over 200,000 characters; enclosing scopes only" in summary
    assert "huge.py: over 1,048,576 bytes, not read; reviewed from its hunks only" in summary
    assert len(_blob_requests(world)) == 1  # huge.py was never downloaded


def test_rate_limit_on_the_tree_leaves_hunks_only_with_a_note(world: FakeWorld) -> None:
    world.gh.rate_limit_primary("GET", "/repos/*/git/trees/*")
    _set_files(world, {"app/main.py": MAIN, "app/util.py": UTIL})
    prompt, summary = _review(world, {"app/main.py": MAIN_PATCH})

    assert "<untrusted_code_context>" not in prompt
    assert "GitHub rate limit: no code context; hunks only" in summary
    assert not world.gh.requests("GET", "/repos/*/git/blobs/*")


def test_runtime_blob_cache_is_on_disk_per_data_dir_and_shared_by_reviews(
    world: FakeWorld,
) -> None:
    from argusai.core.diff import ChangedFile
    from argusai.github.blobs import DiskBlobCache
    from argusai.review.context_files import fetch_context

    cache = world.rt.blobs
    assert isinstance(cache, DiskBlobCache)
    assert cache.root == world.settings.data_dir / "blobs"
    _set_files(world, {"app/main.py": MAIN, "app/util.py": UTIL})
    gh = world.rt.github.for_installation(1)
    changed = [ChangedFile("app/main.py", "modified", 1, 0, MAIN_PATCH)]
    for _ in range(2):
        context_files._TREES.clear()  # as a new worker process would start
        ctx = fetch_context(gh, OWNER, NAME, HEAD, changed, ["app/main.py"], blobs=cache)
        assert ctx.index is not None and "normalise" in ctx.index.by_name
    assert len(_blob_requests(world)) == 2  # main.py and util.py, once
    assert cache.hits == 2
    assert len(list(cache.root.glob("*/*"))) >= 2


def test_blobs_the_cache_lacks_are_fetched_several_at_a_time(world: FakeWorld) -> None:
    from argusai.core.diff import ChangedFile
    from argusai.github.blobs import MemoryBlobCache
    from argusai.review.context_files import FETCH_THREADS, fetch_context

    # Eight changed files, each importing a helper module of its own: with GitHub answering
    # 0.2 s late, one request at a time would take 16 × 0.2 s.
    files: dict[str, str] = {}
    changed = []
    for i in range(8):
        files[f"app/helpers_{i}.py"] = f"def helper_{i}(value):\n    return value + {i}\n"
        main = f"from app.helpers_{i} import helper_{i}\n\n\ndef run_{i}(x):\n    return x\n"
        files[f"app/main_{i}.py"] = main + f"    return helper_{i}(x)\n"
        patch = f"@@ -4,2 +4,3 @@\n def run_{i}(x):\n     return x\n+    return helper_{i}(x)"
        changed.append(ChangedFile(f"app/main_{i}.py", "modified", 1, 0, patch))
    _set_files(world, files)
    gh = world.rt.github.for_installation(1)
    gh.get_tree(OWNER, NAME, HEAD)  # the installation token, outside the measured part
    world.gh.latency = 0.2
    world.gh.reset_flight()
    with (
        structlog.contextvars.bound_contextvars(job_id=41, pr=NUMBER),
        capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs,
    ):
        ctx = fetch_context(
            gh, OWNER, NAME, HEAD, changed, [c.path for c in changed], blobs=MemoryBlobCache()
        )
    world.gh.latency = 0.0

    assert ctx.index is not None
    assert {f"helper_{i}" for i in range(8)} <= set(ctx.index.by_name)  # all sixteen read
    assert len(_blob_requests(world)) == 16  # each once
    assert world.gh.max_in_flight == min(FETCH_THREADS, 8)
    blob_lines = [e for e in logs if "/git/blobs/" in str(e.get("path", ""))]
    assert len(blob_lines) == 16  # logged from the fetching threads …
    assert all((e["job_id"], e["pr"]) == (41, NUMBER) for e in blob_lines)  # … in the review's

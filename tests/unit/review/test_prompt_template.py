"""Custom prompt templates: checked (size, syntax, slots, the whole diff), rendered in a
bounded sandbox, untrusted slots wrapped in their tags, part of the cache key."""

from __future__ import annotations

import re

import pytest

from argusai.core.diff import ChangedFile
from argusai.review.engine import plan_review
from argusai.review.prompt import prompt_overhead, render_user
from argusai.review.prompt_template import (
    MAX_TEMPLATE_BYTES,
    PromptTemplate,
    TemplateError,
    check_template,
    render_template,
)
from argusai.review.repo_config import RepoConfig

PATCH = "@@ -1 +1,2 @@\n x = 1\n+y = eval(data)"


def checked(source: str) -> PromptTemplate:
    return check_template(source, name="review", origin="o/r:.argus/prompts/review.j2")


def test_a_good_template_renders_with_untrusted_slots_in_their_tags() -> None:
    template = checked(
        "Team rules first.\n{% if title %}{{ title }}{% endif %}\n"
        "{% for pi in path_instructions %}- {{ pi.path }}: {{ pi.instructions }}\n{% endfor %}"
        "{{ diff }}\n{{ context|default('no context') }}"
    )
    text = render_template(
        template,
        {"title": "Fix it", "diff": "DIFF", "context": "", "path_instructions": []},
    )
    assert text.startswith("Team rules first.\n<untrusted_pr_title>\nFix it\n</untrusted_pr_title>")
    assert "<untrusted_diff>\nDIFF\n</untrusted_diff>" in text
    assert len(template.sha) == 16


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Review {{ repo }}, please.", "must include the whole diff"),
        ("{{ diff[:50] }}", "must include the whole diff"),
        ("{{ diff|upper }}", "must include the whole diff"),
        ("{% if part > 5 %}{{ diff }}{% endif %}", "must include the whole diff"),
        ("{{ diff ", "syntax error on line 1"),
        ("{{ diff }}{{ secrets }}", "unknown slot `secrets`"),
        ("x" * (MAX_TEMPLATE_BYTES + 1), "over the limit"),
    ],
)
def test_unusable_templates_say_why(source: str, reason: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(reason)):
        checked(source)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ ''.__class__.__mro__ }}{{ diff }}", "refused by the sandbox"),
        ("{{ diff.__class__ }}{{ diff }}", "refused by the sandbox"),
        ("{{ path_instructions[0].__class__ }}{{ diff }}", "refused by the sandbox"),
        ("{{ diff.__class__.__mro__[1].__subclasses__() }}{{ diff }}", "a call is not allowed"),
        ("{{ diff.upper() }}", "a call is not allowed"),
        ("{% for i in range(9) %}{% endfor %}{{ diff }}", "a call is not allowed"),
        ("{{ lipsum }}{{ diff }}", "unknown slot `lipsum`"),  # no globals at all
        ("{% macro m() %}{% endmacro %}{{ diff }}", "macro"),
        ("{% include 'review_system.j2' %}{{ diff }}", "include"),
        ("{% extends 'x' %}", "extends"),
        ("{{ 'x' * 1000000000 }}{{ diff }}", "'*'"),
        ("{{ 9 ** 9 ** 9 }}{{ diff }}", "'**'"),
        ("{{ '%999999999s' % 'x' }}{{ diff }}", "'%'"),
        ("{{ diff|center(1000000000) }}", "the filter `center` is not allowed"),
        ("{% for a in diff %}{% for b in diff %}{% endfor %}{% endfor %}{{ diff }}", "loop"),
        ("{% for c in diff %}{{ diff }}{% endfor %}", "output is over"),
    ],
)
def test_escapes_and_bombs_fail_safely(source: str, reason: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(reason)):
        checked(source)


def test_the_user_prompt_comes_from_the_configs_template() -> None:
    config = RepoConfig(instructions="Check eval.")
    plan = plan_review([ChangedFile("a.py", "modified", 1, 0, PATCH)], config)
    template = checked("CUSTOM {{ repo }}#{{ number }} {{ instructions }}\n{{ diff }}")
    custom = config.with_template(template)
    kwargs = {"repo": "o/r", "number": 3, "title": "t", "body": "", "part_count": 1}
    text = render_user(chunk=plan.chunks[0], config=custom, **kwargs)
    assert text.startswith("CUSTOM o/r#3 Check eval.\n<untrusted_diff>")
    assert "+y = eval(data)" in text
    default = render_user(chunk=plan.chunks[0], config=config, **kwargs)
    assert default.startswith("Review this part of pull request o/r#3")
    assert prompt_overhead(custom) > prompt_overhead(config)


def test_the_templates_hash_is_in_the_configs_dump() -> None:
    config = RepoConfig()
    one = config.with_template(checked("One.\n{{ diff }}"))
    two = config.with_template(checked("Two.\n{{ diff }}"))
    dumps = {c.model_dump_json() for c in (config, one, two)}
    assert len(dumps) == 3  # the review cache key changes with the template
    assert config.template is None and one.template is not None
    assert one.prompt_template_sha == one.template.sha

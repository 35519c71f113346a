"""A repository's or an organisation's own review prompt (``.argus/prompts/<name>.j2``),
checked and rendered in a sandbox (pure functions; the files are read in ``config_sources``).

A custom template replaces the *user* prompt of a review (how the change is framed: the
PR text, the maintainers' instructions, the diff, the code context). The system prompt —
what a finding is, the answer's schema and the safety rules — stays ArgusAI's, so no
template can turn those off. Text written by others reaches a template already wrapped in
its ``<untrusted_…>`` tags (``diff``, ``title``, ``body``, ``context``, ``linked_issues``,
``guidance``), so a template cannot present it as instructions either.

The template language is a small, bounded part of Jinja's: Jinja's
``ImmutableSandboxedEnvironment`` (no ``__class__``, no private attributes), and on top of
it no calls of any kind (no methods, no macros, no ``range``), no loop inside a loop, no
``*``, ``**``, ``%`` or ``/``, no include/import/extends, a short list of filters that cost
at most linear time, a 20 KB source and a bounded output. It must include the whole diff
(``{{ diff }}``), unchanged: a trial render with a sample diff checks all this before a
review uses the template, and each review's render checks it again.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_DIR = ".argus/prompts"
#: the template used without ``prompt_template``: ``.argus/prompts/review.j2``
DEFAULT_NAME = "review"
MAX_TEMPLATE_BYTES = 20 * 1024
#: what a template may use (the package's ``review_user.j2`` gets the same)
SLOTS = frozenset(
    {
        "repo",
        "number",
        "part",
        "part_count",
        "title",
        "body",
        "instructions",
        "path_instructions",
        "notes",
        "diff",
        "context",
        "linked_issues",
        "guidance",
    }
)
#: slots holding text written by others: a custom template gets them inside their tags
UNTRUSTED_SLOTS = {
    "title": "untrusted_pr_title",
    "body": "untrusted_pr_description",
    "diff": "untrusted_diff",
    "context": "untrusted_code_context",
    "linked_issues": "untrusted_linked_issues",
    "guidance": "untrusted_contribution_guide",
}
#: filters whose cost is linear in their input and that take no size argument
FILTERS = frozenset(
    {
        "default",
        "d",
        "trim",
        "upper",
        "lower",
        "capitalize",
        "title",
        "length",
        "count",
        "first",
        "last",
        "list",
        "string",
        "reverse",
        "wordcount",
    }
)
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.For,
    nodes.Assign,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.Filter,
    nodes.Test,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Add,
    nodes.Sub,
    nodes.Concat,
    nodes.CondExpr,
    nodes.List,
    nodes.Tuple,
    nodes.Dict,
    nodes.Pair,
    nodes.Keyword,
)
# the output may quote every slot twice, plus text of its own
_OUTPUT_SLACK = 2 * MAX_TEMPLATE_BYTES


class TemplateError(ValueError):
    """A prompt template that cannot be used; the message says why (shown in the summary)."""


@dataclass(frozen=True)
class PromptTemplate:
    """A checked template: its name, where it was found, its text."""

    name: str
    origin: str  # "owner/repo:.argus/prompts/name.j2"
    source: str

    @property
    def sha(self) -> str:
        """The first 16 hex digits of the source's SHA-256 (part of the review cache key)."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]


def template_path(name: str) -> str:
    """Where a template named ``name`` lives in a repository."""
    return f"{TEMPLATE_DIR}/{name}.j2"


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with no calls and no multiplying operators."""

    intercepted_binops = frozenset({"*", "**", "%", "/", "//"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        raise SecurityError(f"the operator {operator!r} is not allowed in a prompt template")

    def call(
        __self,  # Jinja's own signature: positional-only by naming
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        raise SecurityError("calls are not allowed in a prompt template")


@functools.cache
def _environment() -> _Sandbox:
    env = _Sandbox(
        autoescape=False,  # plain-text prompts, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=0,
    )
    env.globals.clear()  # range, lipsum, dict, cycler, joiner, namespace
    env.filters = {name: env.filters[name] for name in FILTERS}
    return env


def _node_name(node: nodes.Node) -> str:
    names = {
        nodes.Call: "a call",
        nodes.Macro: "{% macro %}",
        nodes.CallBlock: "{% call %}",
        nodes.Include: "{% include %}",
        nodes.Import: "{% import %}",
        nodes.FromImport: "{% from … import %}",
        nodes.Extends: "{% extends %}",
        nodes.Block: "{% block %}",
        nodes.FilterBlock: "{% filter %}",
        nodes.Mul: "the operator '*'",
        nodes.Pow: "the operator '**'",
        nodes.Mod: "the operator '%'",
        nodes.Div: "the operator '/'",
        nodes.FloorDiv: "the operator '//'",
    }
    return names.get(type(node), type(node).__name__)


def _walk(node: nodes.Node, loops: int = 0) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise TemplateError(f"{_node_name(node)} is not allowed (line {node.lineno})")
    if isinstance(node, nodes.For) and (loops or node.recursive):
        raise TemplateError(f"a loop inside a loop is not allowed (line {node.lineno})")
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        raise TemplateError(
            f"the filter `{node.name}` is not allowed (line {node.lineno}); "
            f"allowed: {', '.join(sorted(FILTERS))}"
        )
    inner = loops + isinstance(node, nodes.For)
    for child in node.iter_child_nodes():
        _walk(child, inner)


def _sample_slots() -> dict[str, Any]:
    # a few KB, so that a template quoting the diff once per character shows its cost here
    lines = [f"{n} +value_{n} = compute({n})" for n in range(1, 120)]
    diff = "### File: src/app.py\n@@ -1 +1,120 @@\n" + "\n".join(lines)
    return {
        "repo": "octo/example",
        "number": 1,
        "part": 1,
        "part_count": 2,
        "title": "Sample title",
        "body": "Sample description.",
        "instructions": "Sample instructions.",
        "path_instructions": [{"path": "src/**", "instructions": "Sample path instructions."}],
        "notes": ["A sample note."],
        "diff": diff,
        "context": "1 def f():",
        "linked_issues": "#1 Sample issue",
        "guidance": "Sample guide.",
    }


def check_template(source: str, *, name: str, origin: str) -> PromptTemplate:
    """The template, once it is known to be usable; ``TemplateError`` says why not."""
    size = len(source.encode("utf-8", errors="replace"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"{size:,} bytes, over the limit of {MAX_TEMPLATE_BYTES:,}")
    env = _environment()
    try:
        ast = env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error on line {exc.lineno}: {exc.message}") from None
    except RecursionError:
        raise TemplateError("nested too deeply") from None
    _walk(ast)
    unknown = sorted(find_undeclared_variables(ast) - SLOTS)
    if unknown:
        raise TemplateError(
            f"unknown slot `{unknown[0]}`; the slots are {', '.join(sorted(SLOTS))}"
        )
    template = PromptTemplate(name=name, origin=origin, source=source)
    render_template(template, _sample_slots())  # the same checks a review's render makes
    return template


def _wrapped(slots: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(slots)
    for slot, tag in UNTRUSTED_SLOTS.items():
        value = str(out.get(slot) or "")
        out[slot] = f"<{tag}>\n{value}\n</{tag}>" if value else ""
    return out


def _bounded(chunks: Iterator[str], limit: int) -> str:
    out: list[str] = []
    used = 0
    for chunk in chunks:
        used += len(chunk)
        if used > limit:
            raise TemplateError(f"its output is over {limit:,} characters")
        out.append(chunk)
    return "".join(out)


def render_template(template: PromptTemplate, slots: Mapping[str, Any]) -> str:
    """The prompt ``template`` makes of ``slots`` (the untrusted ones wrapped in their
    tags); ``TemplateError`` when it fails or leaves the diff out."""
    values = _wrapped(slots)
    limit = sum(len(str(v)) for v in values.values()) * 2 + _OUTPUT_SLACK
    try:
        compiled = _environment().from_string(template.source)
        text = _bounded(compiled.generate(**values), limit)
    except TemplateError:
        raise
    except SecurityError as exc:
        raise TemplateError(f"refused by the sandbox: {exc}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a user's template may raise anything; never the review
        raise TemplateError(f"failed to render ({type(exc).__name__}: {exc})") from None
    if values["diff"] not in text:
        raise TemplateError("it must include the whole diff, unchanged (`{{ diff }}`)")
    return text

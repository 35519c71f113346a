"""``argus ci``: reduce a CI log offline (no LLM) to the lines that explain its failure, or
ask the LLM to explain it (``argus ci explain``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.text import Text

from argusai.cilog.reduce import DEFAULT_BUDGET, Reduction, iter_chunks, reduce_log
from argusai.errors import InputError

ci_app = typer.Typer(help="CI failure logs.", no_args_is_help=True)
#: LLM text is printed as written: no rich markup or emoji codes
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)


@ci_app.callback()
def ci_group() -> None:
    """CI failure logs: reduce (offline) or explain (with the LLM)."""


class OutputFormat(StrEnum):
    """How ``argus ci reduce`` prints its result."""

    text = "text"
    json = "json"


class _Blank:
    """Passes a log's chunks on, noting whether any holds more than whitespace."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.blank = True

    def __iter__(self) -> Iterator[bytes]:
        for chunk in iter_chunks(self.stream):
            self.blank = self.blank and not chunk.strip()
            yield chunk


def read_log(logfile: str, budget: int) -> Reduction:
    """Reduce LOGFILE ('-' = stdin); InputError when it is missing, unreadable or empty.

    An empty log is refused before any LLM is asked: explaining nothing yields a confident
    made-up root cause."""
    name = "stdin" if logfile == "-" else logfile
    if logfile == "-":
        chunks = _Blank(sys.stdin.buffer)
        reduction = reduce_log(chunks, budget)
    else:
        path = Path(logfile)
        if path.is_dir():
            raise InputError(f"{logfile} is a directory, not a log file")
        if not path.is_file():
            raise InputError(f"{logfile}: no such file")
        try:
            with path.open("rb") as stream:
                chunks = _Blank(stream)
                reduction = reduce_log(chunks, budget)
        except OSError as exc:
            raise InputError(f"cannot read {logfile}: {exc.strerror or exc}") from None
    if chunks.blank:
        raise InputError(f"{name}: the log is empty")
    return reduction


@ci_app.command("reduce")
def reduce_command(
    logfile: Annotated[str, typer.Argument(help="Log file (plain or gzip); '-' reads stdin.")],
    budget: Annotated[
        int, typer.Option(min=200, help="Token budget of the excerpt.")
    ] = DEFAULT_BUDGET,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text: the excerpt; json: the full result.")
    ] = OutputFormat.text,
) -> None:
    """Print the excerpt of LOGFILE that explains the failure, within the token budget."""
    try:
        result = read_log(logfile, budget)
    except InputError as exc:
        # said here too, not only by the argus group: this group also runs on its own
        typer.echo(f"argus: error: {exc}", err=True)
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(result.excerpt, nl=False)


class ExplainFormat(StrEnum):
    """How ``argus ci explain`` prints."""

    text = "text"
    json = "json"


def _heading(title: str, rest: str = "") -> Text:
    return Text.assemble((title, "bold"), rest)


@ci_app.command("explain")
def explain_command(
    logfile: Annotated[str, typer.Argument(help="Log file (plain or gzip); '-' reads stdin.")],
    workflow: Annotated[str | None, typer.Option(help="Workflow name, for context.")] = None,
    output: Annotated[ExplainFormat, typer.Option("--format")] = ExplainFormat.text,
) -> None:
    """Reduce LOGFILE and ask the LLM why it failed (root cause, step, evidence, fix)."""
    from argusai.cilog.explain import explain
    from argusai.core.secrets import Redactor
    from argusai.errors import ArgusError
    from argusai.llm.factory import build_llm
    from argusai.logs import command_settings, settings_secrets

    settings = command_settings()  # logs on stderr, warnings only: stdout carries JSON
    reduction = read_log(logfile, settings.ci_token_budget)  # an empty log never reaches the LLM
    llm = build_llm(settings)
    try:
        result = explain(
            llm,
            reduction,
            workflow_name=workflow,
            redactor=Redactor.of(settings_secrets(settings)),  # .env secrets never reach os.environ
        )
    except ArgusError as exc:
        typer.echo(f"argus: error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(1) from None
    if output is ExplainFormat.json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    out.print(_heading("Root cause", f" ({result.confidence} confidence)"))
    out.print(result.root_cause)
    out.print()
    out.print(_heading("Failing step:", f" {result.failing_step or '-'}"))
    if result.evidence:
        out.print()
        out.print(_heading("Evidence"))
        for line in result.evidence:
            out.print(f"  {line}")
    out.print()
    out.print(_heading("Suggested fix"))
    out.print(result.suggested_fix)
    u = result.usage
    out.print()
    out.print(
        Text(f"{u.model}: {u.prompt_tokens}+{u.completion_tokens} tokens, ${u.cost_usd:.5f}"),
        style="dim",
    )

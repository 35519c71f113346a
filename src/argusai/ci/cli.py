"""``argus ci``: reduce a CI log offline (no LLM) to the lines that explain its failure."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from argusai.ci.reduce import DEFAULT_BUDGET, reduce_stream

ci_app = typer.Typer(help="CI failure logs.", no_args_is_help=True)


@ci_app.callback()
def ci_group() -> None:
    """CI failure logs: reduce (offline); explain (with the LLM) comes with the API."""


class OutputFormat(StrEnum):
    """How ``argus ci reduce`` prints its result."""

    text = "text"
    json = "json"


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
    if logfile == "-":
        result = reduce_stream(sys.stdin.buffer, budget)
    else:
        path = Path(logfile)
        if not path.is_file():
            raise typer.BadParameter(f"{logfile}: no such file", param_hint="LOGFILE")
        with path.open("rb") as stream:
            result = reduce_stream(stream, budget)
    if output is OutputFormat.json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(result.excerpt, nl=False)

"""The workflow ``argus action init`` writes: the Action on every pull request, and on the
``argusai-review`` dispatch an ArgusAI server sends when it hands a review over.

The workflow never checks out the pull request: the review reads it through the API, so
``pull_request_target`` (fork PRs, a token that can write) is safe to use with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from argusai.review.action.event import DISPATCH_EVENT

ACTION_REPOSITORY = "argusai/argusai"
DEFAULT_PATH = ".github/workflows/argusai.yml"
SARIF_PATH = "argusai.sarif"


@dataclass(frozen=True)
class WorkflowOptions:
    """What the written workflow does."""

    uses: str  # owner/repo@ref of the Action
    pull_requests: bool = True  # also on pull_request (False: only the server's hand-offs)
    target: bool = False  # pull_request_target instead of pull_request (fork PRs)
    fail_on: str = ""  # the fail-on input ("": .argus.yml's fail_on)
    sarif: bool = False  # upload the findings to code scanning


def render_workflow(options: WorkflowOptions) -> str:
    """The workflow file's text (YAML)."""
    event = "pull_request_target" if options.target else "pull_request"
    lines = [
        "# Written by `argus action init`. ArgusAI reviews pull requests here, with this",
        "# repository's GITHUB_TOKEN (GitHub Models: `models: read`), and takes the reviews an",
        f"# ArgusAI server hands over when it cannot make them in time ({DISPATCH_EVENT}).",
        "# The pull request is read through the API only: nothing of it is checked out or run.",
        "name: ArgusAI",
        "",
        "on:",
    ]
    if options.pull_requests:
        lines += [
            f"  {event}:",
            "    types: [opened, reopened, ready_for_review, synchronize]",
        ]
    lines += [
        "  repository_dispatch:",
        f"    types: [{DISPATCH_EVENT}]",
        "",
        "permissions:",
        "  contents: read",
        "  pull-requests: write",
        "  checks: write",
        "  models: read",
    ]
    if options.sarif:
        lines.append("  security-events: write")
    lines += [
        "",
        "concurrency:",
        "  group: argusai-${{ github.event.pull_request.number"
        " || github.event.client_payload.pr_number }}",
        "  cancel-in-progress: true",
        "",
        "jobs:",
        "  review:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 20",
        "    steps:",
        f"      - uses: {options.uses}",
        "        id: argus",
    ]
    inputs = []
    if options.fail_on:
        inputs.append(f"          fail-on: {options.fail_on}")
    if options.sarif:
        inputs.append(f"          sarif-file: {SARIF_PATH}")
    if inputs:
        lines += ["        with:", *inputs]
    if options.sarif:
        lines += [
            "      - uses: github/codeql-action/upload-sarif@v3",
            f"        if: always() && hashFiles('{SARIF_PATH}') != ''",
            "        with:",
            f"          sarif_file: {SARIF_PATH}",
            "          category: argusai",
            "          ref: refs/pull/${{ steps.argus.outputs.pr-number }}/head",
            "          sha: ${{ steps.argus.outputs.head-sha }}",
        ]
    return "\n".join(lines) + "\n"

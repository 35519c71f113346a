"""Read every layer of a repository's review configuration, merge them, find its prompt
template: the I/O side of ``config_layers`` and ``prompt_template``, run once per review
(and per ``@argus config``), so a change to any layer counts from the next review on.

Layers, bottom first: defaults ← the server's settings ← the operator's (database: global,
the installation, the repository) ← ``<owner>/.github``'s ``.argus.yml`` (its default
branch; no such repository, or one the installation cannot see, is no layer) ← the
repository's ``.argus.yml`` (its default branch).

The prompt template is ``.argus/prompts/<prompt_template>.j2`` (``review`` when the key is
not set), looked up in the repository first, then in ``<owner>/.github``. A template named
by ``prompt_template`` that is found nowhere, or any template that fails its checks, is a
problem shown in the summary, and the package's prompt is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from argusai.errors import GitHubError
from argusai.github.port import GitHubRepoClient
from argusai.review.config_layers import (
    REPOSITORY,
    Layer,
    merge_layers,
    organisation_source,
    server_layer,
)
from argusai.review.operator_config import operator_layers
from argusai.review.prompt_template import (
    DEFAULT_NAME,
    PromptTemplate,
    TemplateError,
    check_template,
    template_path,
)
from argusai.review.repo_config import CONFIG_PATH, RepoConfig, problem_message, read_layer
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)

ORG_REPO = ".github"


@dataclass(frozen=True)
class ReviewConfig:
    """The effective config of one repository and how it came to be."""

    config: RepoConfig  # carries its prompt template, if any (``config.template``)
    sources: dict[str, str]  # key (``checks.secrets`` for checks) → the layer it came from
    problems: list[str] = field(default_factory=list)  # one line each, "<source>: …"
    branch: str = ""  # the repository's default branch

    @property
    def problem_text(self) -> str | None:
        """The problems as the summary's one warning line (None without any)."""
        return " · ".join(self.problems) or None


def _org_branch(gh: GitHubRepoClient, owner: str) -> str | None:
    """The default branch of ``<owner>/.github``; None when there is none to read."""
    try:
        return gh.default_branch(owner, ORG_REPO)
    except GitHubError as exc:
        if exc.status not in (404, 403):
            raise
        return None


def _find_template(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    places: list[tuple[str, str]],
    name: str,
) -> tuple[PromptTemplate | None, str | None]:
    """(the first template named ``name`` found in ``places`` (repo, ref), checked) or
    (None, why it cannot be used); (None, None) when there is none."""
    path = template_path(name)
    for where, ref in places:
        origin = f"{owner}/{where}:{path}"
        try:
            text = gh.get_file_text(owner, where, path, ref)
        except GitHubError as exc:
            if where == repo:
                raise  # as the repository's own .argus.yml: the review cannot go on
            why = f"could not be read ({exc})"
            return None, f"prompt template `{origin}`: {why}; the default prompt used"
        if text is None:
            continue
        try:
            return check_template(text, name=name, origin=origin), None
        except TemplateError as exc:
            return None, f"prompt template `{origin}`: {exc}; the default prompt used"
    return None, None


def load_review_config(
    rt: Runtime,
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    *,
    installation_id: int | None,
    config_path: str = CONFIG_PATH,
    arm: Layer | None = None,
) -> ReviewConfig:
    """Every layer of ``owner/repo``'s config merged (see the module), with its template;
    ``config_path``: the repository's own file (the GitHub Action's ``config`` input);
    ``arm``: an experiment arm's keys, over every other layer."""
    branch = gh.default_branch(owner, repo)
    layers = [server_layer(rt.settings)]
    ops, problems = operator_layers(rt.db, installation_id=installation_id, repo=f"{owner}/{repo}")
    layers.extend(ops)

    places = [(repo, branch)]
    if repo.lower() != ORG_REPO:
        org_branch = _org_branch(gh, owner)
        if org_branch is not None:
            places.append((ORG_REPO, org_branch))
            try:
                text = gh.get_file_text(owner, ORG_REPO, CONFIG_PATH, org_branch)
            except GitHubError as exc:  # the organisation's layer is left out, and said so
                text, found = None, [f"could not be read ({exc}) (ignored)"]
            else:
                found = []
            values, more = read_layer(text)
            layers.append(Layer(organisation_source(owner), values))
            problems.extend(_lines(organisation_source(owner), [*found, *more]))
    values, found = read_layer(gh.get_file_text(owner, repo, config_path, branch))
    layers.append(Layer(REPOSITORY, values))
    problems.extend(_lines(config_path, found))
    if arm is not None:
        layers.append(arm)

    config, sources, merge_problems = merge_layers(layers)
    problems.extend(merge_problems)
    name = config.prompt_template or DEFAULT_NAME
    template, why = _find_template(gh, owner, repo, places, name)
    if why:
        problems.append(why)
    elif template is None and config.prompt_template:
        looked = " and ".join(f"{owner}/{where}" for where, _ in places)
        problems.append(
            f"prompt template `{template_path(name)}` not found in {looked}; "
            "the default prompt used"
        )
    if template is not None:
        log.info("custom prompt template", template=template.origin, sha=template.sha)
    return ReviewConfig(config.with_template(template), sources, problems, branch)


def _lines(source: str, problems: list[str]) -> list[str]:
    message = problem_message(source, problems)
    return [message] if message else []


def effective_config(
    rt: Runtime, gh: GitHubRepoClient, owner: str, repo: str, *, installation_id: int | None
) -> tuple[RepoConfig, dict[str, str], list[str]]:
    """(the config a review of ``owner/repo`` would use now, the layer each key came from,
    the problems found on the way): for ``@argus config`` and anything else that shows it."""
    loaded = load_review_config(rt, gh, owner, repo, installation_id=installation_id)
    return loaded.config, loaded.sources, loaded.problems

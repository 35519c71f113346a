"""The review engine: plan → LLM calls per chunk → finalize. No I/O besides the LLM port.

``plan_review`` selects files, cuts token-budgeted chunks and runs the deterministic checks
(``review.checks``: no tokens), ``run_review`` asks the LLM about each chunk (one repair
retry for an unusable answer), ``finalize`` filters, deduplicates, anchors and ranks the
checks' and the LLM's findings together and renders what will be posted. The checks'
findings live in the plan, not in the LLM outcome: they stand when every LLM call fails,
and a cached LLM outcome never holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from argusai.core.diff import ChangedFile
from argusai.core.secrets import Redactor
from argusai.core.tokens import count_tokens
from argusai.core.untrusted import quote_untrusted
from argusai.errors import LLMError
from argusai.llm.port import Completion, LLMClient
from argusai.review.anchor import anchor_findings
from argusai.review.checks import Check, check_files, default_checks, run_checks
from argusai.review.chunk import Chunk, build_chunks
from argusai.review.context.budget import SEPARATOR, assemble
from argusai.review.context.gather import gather
from argusai.review.context.symbols import SymbolIndex
from argusai.review.diff import FileDiff, parse_patch
from argusai.review.fingerprint import fingerprint
from argusai.review.format import SummaryData, format_comment, format_review_body, format_summary
from argusai.review.models import (
    ChunkFailure,
    Finding,
    InlineComment,
    NotPosted,
    Severity,
    SkippedFile,
    Usage,
)
from argusai.review.parse import ParsedReview, ReviewOutputError, parse_review_output
from argusai.review.prompt import (
    PROMPT_VERSION,
    prompt_overhead,
    prompt_version,
    render_system,
    render_user,
)
from argusai.review.repo_config import RepoConfig
from argusai.review.schema import SCHEMA_NAME, review_json_schema
from argusai.review.select import select_files
from argusai.review.verify import verify_chunk
from argusai.review.walkthrough import Walkthrough

DEFAULT_TOKEN_BUDGET = 12_000
DEFAULT_MAX_FILES = 100
DEFAULT_MAX_COMMENTS = 20
_REPAIR = (
    "\n\nYour previous answer could not be used: {error}. Answer again with exactly one "
    "JSON object matching the schema, nothing else. Previous answer (start):\n{previous}"
)


@dataclass(frozen=True)
class PRContext:
    """What the prompts and the summary need to know about the pull request."""

    repo: str
    number: int
    title: str = ""
    body: str = ""
    head_sha: str = ""
    base_sha: str = ""
    incremental_base: str | None = None  # reviewed head of an earlier run: only new commits
    linked_issues: str = ""  # the issues it closes, as prompt text (``intent.render_issues``)
    guidance: str = ""  # an excerpt of the repository's contribution guide

    @property
    def incremental(self) -> bool:
        """True when only the commits after ``incremental_base`` are reviewed."""
        return self.incremental_base is not None


@dataclass(frozen=True)
class CodeContext:
    """Head texts the prompts may quote (``index`` None: hunks only) and notes on what
    could not be had (a file not found, too large, over the fetch cap)."""

    index: SymbolIndex | None = None
    notes: tuple[str, ...] = ()


@dataclass
class ReviewPlan:
    """Chunks to send, files skipped (with reasons), the parsed diff of each file and
    what the deterministic checks found."""

    chunks: list[Chunk]
    skipped: list[SkippedFile]
    diffs: dict[str, FileDiff]
    files: list[ChangedFile]
    check_findings: list[Finding] = field(default_factory=list)
    token_budget: int = DEFAULT_TOKEN_BUDGET
    overhead: int = 0  # prompt tokens besides the diff and the code context

    @property
    def added_lines(self) -> int:
        """Added lines in the reviewed files."""
        return sum(d.added_count for d in self.diffs.values())


@dataclass
class ReviewOutcome:
    """What the LLM said about each chunk, before filtering and anchoring."""

    ctx: PRContext
    findings: list[Finding] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    failed: list[ChunkFailure] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    dropped_findings: int = 0
    context_used: list[str] = field(default_factory=list)
    context_left_out: list[str] = field(default_factory=list)
    context_notes: list[str] = field(default_factory=list)
    context_tokens: int = 0  # what the code context added to the prompts, over every chunk
    walkthrough: Walkthrough = field(default_factory=Walkthrough)
    #: the verification pass: findings it did not confirm (never posted), its cost, notes
    verified: bool = False
    rejected: list[NotPosted] = field(default_factory=list)
    verify_usage: Usage = field(default_factory=Usage)
    verify_notes: list[str] = field(default_factory=list)


@dataclass
class ReviewResult:
    """What to post: inline comments, review body (None = no review), summary markdown."""

    inline_comments: list[InlineComment]
    summary: str
    review_body: str | None
    findings: list[Finding]
    not_posted: list[NotPosted]
    counts: dict[Severity, int]
    skipped: list[SkippedFile]
    failed: list[ChunkFailure]
    usage: Usage
    head_sha: str
    prompt_version: str = PROMPT_VERSION
    already_posted: int = 0
    suppressed: int = 0  # kept out by the repository's suppression rules
    rejected: list[NotPosted] = field(default_factory=list)  # not confirmed by verification


def plan_review(
    files: list[ChangedFile],
    config: RepoConfig,
    *,
    max_files: int = DEFAULT_MAX_FILES,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    checks: Sequence[Check] | None = None,
    secrets_allowlist: Iterable[str] = (),
    intent_tokens: int = 0,
) -> ReviewPlan:
    """Select files and cut chunks so that each LLM prompt (system prompt, PR text,
    instructions and diff) stays within ``token_budget`` tokens; run ``checks`` (when None,
    the built-in ones as ``.argus.yml`` ``checks`` configures them, never reporting a
    secret whose hash is in ``secrets_allowlist``) over every changed file ``.argus.yml``
    does not exclude. ``intent_tokens``: what the linked issues and the contribution guide
    add to every prompt (``intent.intent_tokens``)."""
    selection = select_files(files, config, max_files=max_files)
    overhead = prompt_overhead(config) + intent_tokens
    diffs: dict[str, FileDiff] = {}
    reviewed: list[ChangedFile] = []
    for f in selection.files:
        diff = parse_patch(f.path, f.patch)
        if diff.hunks:
            diffs[f.path] = diff
            reviewed.append(f)
        else:
            selection.skipped.append(SkippedFile(f.path, "no hunks could be read in its diff"))
    chunks = build_chunks(reviewed, diffs, token_budget - overhead)
    checked = check_files(files, include=config.include, exclude=config.exclude, parsed=diffs)
    if checks is None:
        c = config.checks
        checks = default_checks(
            secrets_allowlist=[*c.secrets_allowlist, *secrets_allowlist],
            max_file_bytes=c.max_file_bytes,
            secrets=c.secrets,
            conflict_markers=c.conflict_markers,
            large_files=c.large_files,
        )
    found = run_checks(checks, checked)
    found = found if config.enabled else []
    return ReviewPlan(
        chunks=chunks,
        skipped=selection.skipped,
        diffs=diffs,
        files=reviewed,
        check_findings=found,
        token_budget=token_budget,
        overhead=overhead,
    )


def _usage(completion: Completion) -> Usage:
    return Usage(
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=completion.cost_usd,
        calls=1,
        models=[completion.model],
    )


def _review_chunk(llm: LLMClient, system: str, user: str, usage: Usage) -> ParsedReview:
    schema = review_json_schema()
    completion = llm.complete_json(system=system, user=user, schema=schema, schema_name=SCHEMA_NAME)
    usage.add(_usage(completion))
    try:
        return parse_review_output(completion.text)
    except ReviewOutputError as err:
        repair = user + _REPAIR.format(error=err, previous=completion.text[:1500])
        completion = llm.complete_json(
            system=system, user=repair, schema=schema, schema_name=SCHEMA_NAME
        )
        usage.add(_usage(completion))
        return parse_review_output(completion.text)


def _no_progress(_done: int, _total: int) -> None:
    pass


# Tokens of the template's text around the context block (its heading and delimiters).
_CONTEXT_FRAME = 80


def _chunk_diffs(chunk: Chunk, diffs: dict[str, FileDiff]) -> list[FileDiff]:
    """The file diffs cut to what this chunk shows: its hunks, its added lines."""
    out = []
    for path in chunk.files:
        full = diffs[path]
        pieces = [p for p in chunk.pieces if p.path == path]
        hunks = {p.hunk_index for p in pieces}
        out.append(
            FileDiff(
                path=path,
                hunks=[h for h in full.hunks if h.index in hunks],
                line_to_hunk={n: h for n, h in full.line_to_hunk.items() if h in hunks},
                added={n for p in pieces for n in p.added_lines},
            )
        )
    return out


def chunk_context(
    chunk: Chunk, plan: ReviewPlan, config: RepoConfig, index: SymbolIndex
) -> tuple[str, list[str], list[str], int]:
    """The context text for one chunk within what its diff leaves of the plan's budget,
    the labels of what went in and of what was left out, and its tokens. The PR text and the
    maintainers' instructions are in the prompt already (covered by ``prompt_overhead``), so
    they are not candidates here."""
    found = gather(_chunk_diffs(chunk, plan.diffs), index)
    assembled = assemble(
        diff_tokens=chunk.tokens + max(plan.overhead, prompt_overhead(config)) + _CONTEXT_FRAME,
        budget=plan.token_budget,
        scopes=found.scopes,
        definitions=found.definitions,
    )
    used = [
        f"{b.kind} {b.label}" + (" (shortened)" if b.shortened else "") for b in assembled.blocks
    ]
    blocks = assembled.blocks
    # the blocks were counted when they were chosen: no second pass over the text
    tokens = sum(b.tokens for b in blocks) + (len(blocks) - 1) * count_tokens(SEPARATOR)
    return assembled.render(), used, list(assembled.left_out), max(0, tokens)


def run_review(
    llm: LLMClient,
    plan: ReviewPlan,
    ctx: PRContext,
    config: RepoConfig,
    *,
    progress: Callable[[int, int], None] = _no_progress,
    context: CodeContext | None = None,
    verifier: LLMClient | None = None,
) -> ReviewOutcome:
    """Ask the LLM about every chunk; a chunk whose call fails for good is recorded as
    failed. ``LLMTransientError`` propagates so the job can be retried.

    With ``context`` each prompt also quotes, after the diff, the enclosing scopes and the
    definitions its added lines use, as far as the budget allows; without it, hunks only.
    With ``verifier`` each chunk's findings at or above the severity floor are checked by
    a second call (``review.verify``) and only the confirmed ones are kept.
    ``progress(done, total)`` is called before the first chunk and after each one."""
    outcome = ReviewOutcome(ctx=ctx, verified=verifier is not None)
    if context is not None:
        outcome.context_notes.extend(context.notes)
    used_seen: dict[str, None] = {}  # ordered sets: a block may serve several chunks
    left_seen: dict[str, None] = {}
    system = render_system(config.language)
    total = len(plan.chunks)
    progress(0, total)
    for done, chunk in enumerate(plan.chunks, start=1):
        code = ""
        if context is not None and context.index is not None:
            code, used, left_out, tokens = chunk_context(chunk, plan, config, context.index)
            outcome.context_tokens += tokens
            used_seen.update(dict.fromkeys(used))
            left_seen.update(dict.fromkeys(left_out))
        user = render_user(
            repo=ctx.repo,
            number=ctx.number,
            title=ctx.title,
            body=ctx.body,
            chunk=chunk,
            part_count=len(plan.chunks),
            config=config,
            context=code,
            linked_issues=ctx.linked_issues,
            guidance=ctx.guidance,
        )
        try:
            parsed = _review_chunk(llm, system, user, outcome.usage)
        except LLMError as err:
            outcome.failed.append(ChunkFailure(chunk.index, chunk.files, str(err)[:300]))
        else:
            if parsed.summary:
                outcome.summaries.append(parsed.summary)
            findings = parsed.findings
            if verifier is not None:
                findings = _verified(verifier, chunk, plan, ctx, config, code, findings, outcome)
            outcome.findings.extend(findings)
            outcome.dropped_findings += parsed.dropped
            outcome.walkthrough.add(
                parsed.walkthrough, chunk.files, parsed.risk, parsed.risk_reason
            )
        progress(done, total)
    outcome.context_used.extend(used_seen)
    outcome.context_left_out.extend(left_seen)
    return outcome


def _verified(
    verifier: LLMClient,
    chunk: Chunk,
    plan: ReviewPlan,
    ctx: PRContext,
    config: RepoConfig,
    code: str,
    findings: list[Finding],
    outcome: ReviewOutcome,
) -> list[Finding]:
    """The chunk's findings once the verification pass has had its say (those under the
    severity floor are not checked: ``finalize`` drops them anyway)."""
    floor = config.severity_threshold.rank
    shown_files = set(chunk.files)
    # a finding on a file this part did not show is anchored (or not) as it is: the
    # verifier could not see its lines either
    candidates = [f for f in findings if f.severity.rank >= floor and f.path in shown_files]
    if not candidates:
        return findings
    shown = {d.path: set(d.line_to_hunk) for d in _chunk_diffs(chunk, plan.diffs)}
    checked = verify_chunk(
        verifier,
        candidates=candidates,
        shown_lines=shown,
        language=config.language,
        repo=ctx.repo,
        number=ctx.number,
        diff=quote_untrusted(chunk.render()),
        context=quote_untrusted(code.strip()),
        part=chunk.index + 1,
    )
    outcome.verify_usage.add(checked.usage)
    outcome.rejected.extend(checked.rejected)
    outcome.verify_notes.extend(checked.notes)
    unchecked = [f for f in findings if f.severity.rank < floor or f.path not in shown_files]
    return [*checked.confirmed, *checked.unverified, *unchecked]


def _left_out(outcome: ReviewOutcome) -> list[str]:
    """Context left out of every prompt (a block one chunk had no room for may be in another)."""
    used = {u.removesuffix(" (shortened)") for u in outcome.context_used}
    return [x for x in outcome.context_left_out if x not in used]


def _rank_key(f: Finding) -> tuple[int, str, int]:
    return (-f.severity.rank, f.path, f.line)


def finalize(
    outcome: ReviewOutcome,
    plan: ReviewPlan,
    config: RepoConfig,
    *,
    already_posted: set[str] | frozenset[str] = frozenset(),
    max_comments: int = DEFAULT_MAX_COMMENTS,
    config_error: str | None = None,
    redactor: Redactor,
    suppress: Callable[[Finding, str], bool] | None = None,
) -> ReviewResult:
    """Apply the severity floor, drop duplicates and findings posted before, anchor, rank,
    keep at most ``max_comments`` inline (``config.max_comments`` wins when set); the
    checks' findings (``plan.check_findings``) go through all of it with the LLM's. What
    will be posted is sanitised with ``redactor``. ``suppress(finding, fingerprint)``: True
    keeps a finding out (a suppression rule): counted in the summary, never posted."""
    redactor = redactor.snapshot()  # one read of the environment for every piece posted
    limit = config.max_comments if config.max_comments is not None else max_comments
    floor = config.severity_threshold.rank
    every = [*plan.check_findings, *outcome.findings]
    kept = [f for f in every if f.severity.rank >= floor]
    anchored, unanchored = anchor_findings(kept, plan.diffs)
    candidates = [(f, "") for f in anchored] + [(u.finding, u.reason) for u in unanchored]
    candidates.sort(key=lambda pair: _rank_key(pair[0]))
    seen: set[str] = set()
    repeated = 0
    suppressed = 0
    inline: list[InlineComment] = []
    not_posted: list[NotPosted] = []
    findings: list[Finding] = []
    for finding, reason in candidates:
        fp = fingerprint(finding)
        if fp in seen:
            continue
        seen.add(fp)
        if fp in already_posted:
            repeated += 1
            continue
        if suppress is not None and suppress(finding, fp):
            suppressed += 1
            continue
        findings.append(finding)
        if reason:
            not_posted.append(NotPosted(finding, reason))
        elif len(inline) >= limit:
            not_posted.append(NotPosted(finding, f"over the limit of {limit} inline comments"))
        else:
            inline.append(
                InlineComment(
                    path=finding.path,
                    line=finding.line,
                    start_line=finding.start_line,
                    body=format_comment(finding, fp, redactor=redactor),
                    fingerprint=fp,
                    severity=finding.severity,
                )
            )
    counts = {s: n for s in Severity if (n := sum(1 for f in findings if f.severity == s))}
    ctx = outcome.ctx
    summary = format_summary(
        SummaryData(
            head_sha=ctx.head_sha,
            base_sha=ctx.base_sha,
            incremental_base=ctx.incremental_base,
            overview=outcome.summaries,
            counts=counts,
            inline_count=len(inline),
            not_posted=not_posted,
            skipped=plan.skipped,
            failed=outcome.failed,
            usage=outcome.usage,
            config_error=config_error,
            already_posted=repeated,
            suppressed=suppressed,
            chunk_count=len(plan.chunks),
            prompt_version=prompt_version(config),
            context_used=outcome.context_used,
            context_left_out=_left_out(outcome),
            context_notes=outcome.context_notes,
            walkthrough=outcome.walkthrough.ordered(f.path for f in plan.files),
            risk=outcome.walkthrough.risk,
            risk_reason=outcome.walkthrough.risk_reason,
            verified=outcome.verified,
            rejected=outcome.rejected,
            verify_usage=outcome.verify_usage,
            verify_notes=outcome.verify_notes,
        ),
        redactor=redactor,
    )
    usage = Usage()
    usage.add(outcome.usage)
    usage.add(outcome.verify_usage)
    return ReviewResult(
        inline_comments=inline,
        summary=summary,
        review_body=format_review_body(len(inline), counts) if inline else None,
        findings=findings,
        not_posted=not_posted,
        counts=counts,
        skipped=plan.skipped,
        failed=outcome.failed,
        usage=usage,
        head_sha=ctx.head_sha,
        prompt_version=prompt_version(config),
        already_posted=repeated,
        suppressed=suppressed,
        rejected=outcome.rejected,
    )

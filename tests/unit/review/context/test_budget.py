"""Context fills what the diff leaves of the budget, in priority order, never more."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from argusai.core.tokens import count_tokens
from argusai.review.context.budget import assemble
from argusai.review.context.scopes import enclosing_scopes
from argusai.review.context.symbols import Definition, SymbolIndex

from .samples import CROSS_FILE, LONG_METHOD

PATH, TEXT, _SIG = LONG_METHOD["python"]
SCOPES = enclosing_scopes(PATH, TEXT, [60])
_path, _text, _line, _others, _name, _first = CROSS_FILE["python"]
DEFS: list[Definition] = SymbolIndex.build({_path: _text, **_others}).lookup(_name, _path)
BIG_DEF = SymbolIndex.build({"big.py": TEXT}).lookup("process", "big.py")
DIFF = "@@ -58,3 +58,4 @@\n         total_58 = len(items) + 58\n+        total_60 = 1\n"


def test_everything_fits_in_priority_order() -> None:
    got = assemble(
        diff_tokens=count_tokens(DIFF),
        budget=10_000,
        scopes=SCOPES,
        definitions=DEFS,
        intent="Fix totals",
        guidance="Prefer small functions",
    )
    assert [b.kind for b in got.blocks] == ["scope", "definition", "intent", "guidance"]
    assert got.left_out == ()
    assert "def normalise(value):" in got.render()


def test_a_definition_that_does_not_fit_whole_goes_in_as_its_signature() -> None:
    full = count_tokens(BIG_DEF[0].text)
    got = assemble(diff_tokens=0, budget=full // 2, definitions=BIG_DEF)
    (block,) = got.blocks
    assert block.shortened
    assert "def process(self, items, *, strict=False):" in block.text
    assert '"""Process the items."""' in block.text


def test_no_room_left_means_no_context_and_a_list_of_what_was_left_out() -> None:
    got = assemble(diff_tokens=500, budget=400, scopes=SCOPES, definitions=DEFS, intent="x")
    assert got.blocks == ()
    assert got.available == 0
    assert len(got.left_out) == 3
    assert got.left_out[0].startswith("scope pkg/service.py:5")


@settings(max_examples=60, deadline=None)
@given(
    budget=st.integers(min_value=0, max_value=3_000),
    diff_share=st.floats(min_value=0, max_value=1.5),
    intent=st.text(max_size=300),
    guidance=st.text(max_size=300),
)
def test_context_never_exceeds_what_the_diff_leaves(
    budget: int, diff_share: float, intent: str, guidance: str
) -> None:
    diff_tokens = int(budget * diff_share)
    got = assemble(
        diff_tokens=diff_tokens,
        budget=budget,
        scopes=SCOPES,
        definitions=[*DEFS, *BIG_DEF],
        intent=intent,
        guidance=guidance,
    )
    assert got.diff_tokens == diff_tokens  # the diff is counted in full, never trimmed
    assert got.tokens <= max(0, budget - diff_tokens)
    assert sum(b.tokens for b in got.blocks) <= max(0, budget - diff_tokens)
    candidates = len(SCOPES) + len(DEFS) + len(BIG_DEF) + bool(intent.strip())
    assert len(got.blocks) + len(got.left_out) == candidates + bool(guidance.strip())

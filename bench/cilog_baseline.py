"""The CI log reducer as of another commit, importable next to the current one.

Benchmarks on a shared machine are noisy: an absolute MB/s or a recall figure measured an hour
ago is not a baseline. ``load(rev)`` copies ``src/argusai/cilog`` as of ``rev`` out of git into
a temporary package (its ``argusai.cilog`` imports renamed) so that a bench can run the old and
the new reducer in the same process, interleaved, and print ratios.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "src/argusai/cilog"
# The last commit of the reducer before issue 14 (recall ≥ 95 %): the "before" of bench/README.md.
DEFAULT_REV = "3a13b8e6c09398aee4c20e23f7a96efaf892f08d"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def load(rev: str = DEFAULT_REV) -> ModuleType:
    """``argusai.cilog.reduce`` as of ``rev``, imported as ``cilog_<rev>.reduce``."""
    sha = _git("rev-parse", rev).strip()
    name = f"cilog_{sha[:12]}"
    if name in sys.modules:
        return importlib.import_module(f"{name}.reduce")
    target = Path(tempfile.mkdtemp(prefix="cilog-baseline-")) / name
    target.mkdir()
    for path in _git("ls-tree", "--name-only", sha, f"{PACKAGE}/").split():
        if path.endswith(".py"):
            text = _git("show", f"{sha}:{path}").replace("argusai.cilog", name)
            (target / Path(path).name).write_text(text)
    sys.path.insert(0, str(target.parent))
    return importlib.import_module(f"{name}.reduce")

"""The git database endpoints of the fake GitHub: trees (recursive) and blobs by id.

``GET /repos/{o}/{r}/git/trees/{sha}[?recursive=1]``: ``sha`` is a commit id or ref the fake
holds files at (``set_file(..., ref=sha)``), a tree id it served before, or one set with
:meth:`GitFakeMixin.set_tree`. Trees and blob ids are git's real ones (``sha1("blob <len>\\0"
+ bytes)``, tree objects hashed the way git hashes them), so equal contents give equal ids
across commits, as a content-addressed cache expects. :meth:`GitFakeMixin.set_tree_limit`
makes GitHub's ``truncated: true`` happen.

``GET /repos/{o}/{r}/git/blobs/{sha}``: base64 JSON, for every file set with ``set_file`` or
:meth:`GitFakeMixin.add_blob`.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply
    from tests.fakes.fake_github_state import FakeRepo

FILE_MODE = "100644"
TREE_MODE = "040000"


def blob_sha(content: bytes) -> str:
    """git's blob id of ``content``."""
    header = f"blob {len(content)}\0".encode()
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def _tree_object(children: dict[str, Any], out: dict[str, list[dict[str, Any]]]) -> str:
    """Hash the tree of ``children`` ({name: bytes | dict}) as git does; fills ``out``
    (tree id → its entries, subtrees included, in git's recursive order)."""
    rows: list[tuple[str, str, str, dict[str, Any]]] = []  # sort key, mode, sha, entry
    for name, child in children.items():
        if isinstance(child, dict):
            sha = _tree_object(child, out)
            rows.append((name + "/", "40000", sha, {"type": "tree", "sha": sha, "_sub": sha}))
        else:
            sha = blob_sha(child)
            rows.append((name, FILE_MODE, sha, {"type": "blob", "sha": sha, "size": len(child)}))
    rows.sort(key=lambda r: r[0].encode())
    body = b"".join(
        f"{mode} {key.rstrip('/')}\0".encode() + bytes.fromhex(sha) for key, mode, sha, _ in rows
    )
    tree_sha = hashlib.sha1(
        f"tree {len(body)}\0".encode() + body, usedforsecurity=False
    ).hexdigest()
    entries: list[dict[str, Any]] = []
    for key, mode, _sha, entry in rows:
        name = key.rstrip("/")
        sub = entry.pop("_sub", None)
        entries.append({"path": name, "mode": TREE_MODE if sub else mode, **entry})
        for inner in out.get(sub, []) if sub else []:
            entries.append({**inner, "path": f"{name}/{inner['path']}"})
    out[tree_sha] = entries
    return tree_sha


def tree_of(files: dict[str, bytes]) -> tuple[str, list[dict[str, Any]]]:
    """(tree id, recursive entries) of a set of files ({path: bytes})."""
    sha, out = trees_of(files)
    return sha, out[sha]


def trees_of(files: dict[str, bytes]) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """(root tree id, every tree id → its recursive entries) of a set of files."""
    root: dict[str, Any] = {}
    for path, content in files.items():
        *folders, name = path.strip("/").split("/")
        node = root
        for folder in folders:
            node = node.setdefault(folder, {})
        node[name] = content
    out: dict[str, list[dict[str, Any]]] = {}
    sha = _tree_object(root, out)
    return sha, out


class GitFakeMixin:
    """Trees and blobs of FakeGitHub (see the module docstring)."""

    lock: threading.RLock
    repo: Callable[..., Any]

    def _init_git(self) -> None:
        self._route_counts: Counter[str] = Counter()

    def add_blob(self, owner: str, name: str, content: str | bytes) -> str:
        """Make a blob fetchable by id (no path); returns its id."""
        data = content.encode() if isinstance(content, str) else content
        sha = blob_sha(data)
        with self.lock:
            self.repo(owner, name).blobs[sha] = data
        return sha

    def set_tree(
        self,
        owner: str,
        name: str,
        ref: str,
        entries: list[dict[str, Any]],
        *,
        sha: str,
        truncated: bool = False,
    ) -> None:
        """Serve ``entries`` (GitHub's ``{path, mode, type, sha, size}``) as the recursive tree
        of ``ref`` (a commit id) and of ``sha`` (the tree's own id); blobs come separately."""
        with self.lock:
            tree = {"sha": sha, "entries": [dict(e) for e in entries], "truncated": truncated}
            repo = self.repo(owner, name)
            repo.trees[ref] = tree
            repo.trees[sha] = tree

    def set_tree_limit(self, owner: str, name: str, limit: int | None) -> None:
        """Answer recursive trees with at most ``limit`` entries and ``truncated: true``."""
        with self.lock:
            self.repo(owner, name).tree_limit = limit

    def route_counts(self) -> Counter[str]:
        """Requests served per route handler name (``get_blob``, ``get_tree``, ``get_pull``…);
        faults and unknown paths are not counted (see :meth:`requests` for those)."""
        with self.lock:
            return Counter(self._route_counts)

    def _count_route(self, handler: str) -> None:
        with self.lock:
            self._route_counts[handler] += 1


def _tree_for(repo: FakeRepo, ref: str) -> dict[str, Any] | None:
    if ref in repo.trees:
        return repo.trees[ref]
    files = repo.contents.get(ref)
    if files is None:
        return None
    sha, trees = trees_of(files)
    for sub, sub_entries in trees.items():  # a tree id is a ref of its own, folders' too
        repo.trees.setdefault(sub, {"sha": sub, "entries": sub_entries, "truncated": False})
    return repo.trees[sha]


def get_tree(fake: FakeGitHub, call: Call) -> Reply:
    """A tree by commit id, ref or tree id; ``recursive`` lists the folders' contents too."""
    from tests.fakes.fake_github_routes import Reply, _repo, not_found

    repo = _repo(fake, call)
    tree = _tree_for(repo, unquote(call.args[2]))
    if tree is None:
        raise not_found()
    entries: list[dict[str, Any]] = tree["entries"]
    truncated = bool(tree["truncated"])
    if call.query.get("recursive") in (None, "", "0", "false"):
        entries = [e for e in entries if "/" not in e["path"]]
    elif repo.tree_limit is not None and len(entries) > repo.tree_limit:
        entries, truncated = entries[: repo.tree_limit], True
    api = f"{fake.base_url}/repos/{repo.owner}/{repo.name}/git"
    body = {
        "sha": tree["sha"],
        "url": f"{api}/trees/{tree['sha']}",
        "tree": [
            {**e, "url": f"{api}/{'trees' if e['type'] == 'tree' else 'blobs'}/{e['sha']}"}
            for e in entries
        ],
        "truncated": truncated,
    }
    return Reply(200, body)


def _blob(repo: FakeRepo, sha: str) -> bytes | None:
    if sha in repo.blobs:
        return repo.blobs[sha]
    for files in repo.contents.values():
        for content in files.values():
            if blob_sha(content) == sha:
                repo.blobs[sha] = content
                return content
    return None


def get_blob(fake: FakeGitHub, call: Call) -> Reply:
    """A blob by id, base64 (wrapped at 60 columns, as GitHub sends it)."""
    from tests.fakes.fake_github_routes import Reply, _repo, not_found

    repo = _repo(fake, call)
    sha = unquote(call.args[2]).lower()
    content = _blob(repo, sha)
    if content is None:
        raise not_found()
    return Reply(
        200,
        {
            "sha": sha,
            "node_id": "B_" + sha[:16],
            "size": len(content),
            "url": f"{fake.base_url}/repos/{repo.owner}/{repo.name}/git/blobs/{sha}",
            "content": base64.encodebytes(content).decode(),
            "encoding": "base64",
        },
    )


def git_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler) of the trees and blobs endpoints."""
    repo = r"/repos/([^/]+)/([^/]+)"
    return [
        ("GET", rf"{repo}/git/trees/(.+)", "installation", get_tree),
        ("GET", rf"{repo}/git/blobs/([0-9a-fA-F]{{40}})", "installation", get_blob),
    ]

"""The installation token cache: reuse, refresh margin, invalidation, threads."""

from __future__ import annotations

import threading
import time

from argusai.github.tokens import InstallationTokens


class Minter:
    def __init__(self, ttl: float = 3600, clock: list[float] | None = None) -> None:
        self.calls: list[int] = []
        self.ttl = ttl
        self.clock = clock
        self.lock = threading.Lock()

    def __call__(self, installation_id: int) -> tuple[str, float]:
        time.sleep(0.01)  # long enough for racing threads to pile up
        with self.lock:
            self.calls.append(installation_id)
            now = self.clock[0] if self.clock else time.time()
            return f"tok-{installation_id}-{len(self.calls)}", now + self.ttl


def test_reuses_until_the_refresh_margin() -> None:
    clock = [1000.0]
    mint = Minter(ttl=3600, clock=clock)
    tokens = InstallationTokens(mint, refresh_margin=300, clock=lambda: clock[0])
    first = tokens.get(1)
    clock[0] += 3600 - 301
    assert tokens.get(1) == first
    clock[0] += 2  # now within 5 minutes of expiry
    assert tokens.get(1) != first
    assert mint.calls == [1, 1]


def test_installations_are_separate() -> None:
    mint = Minter()
    tokens = InstallationTokens(mint)
    assert tokens.get(1) != tokens.get(2)
    assert sorted(mint.calls) == [1, 2]


def test_invalidate_only_the_stale_token() -> None:
    mint = Minter()
    tokens = InstallationTokens(mint)
    old = tokens.get(1)
    tokens.invalidate(1, "some-other-token")
    assert tokens.get(1) == old
    tokens.invalidate(1, old)
    assert tokens.get(1) != old
    tokens.invalidate(1)
    tokens.get(1)
    assert len(mint.calls) == 3


def test_threads_mint_once_per_installation() -> None:
    mint = Minter()
    tokens = InstallationTokens(mint)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(tokens.get(i % 2))) for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(mint.calls) == [0, 1]
    assert len(set(results)) == 2


def test_repr_shows_no_token() -> None:
    tokens = InstallationTokens(Minter())
    token = tokens.get(1)
    assert token not in repr(tokens)

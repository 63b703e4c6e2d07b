"""Synthetic BSNs: valid by the 11-check (landing contract, Identity), unique, some 8-digit (leading
zero). Written from the contract's rule, not shared with the ingestion code."""
from __future__ import annotations

import numpy as np

WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)
# Share of BSNs that start with a zero (older numbers): written as 8 digits in some files.
LEADING_ZERO_SHARE = 0.06


def digits(bsn: np.ndarray) -> np.ndarray:
    """(n,) int64 -> (n, 9) digits."""
    bsn = np.asarray(bsn, dtype=np.int64)
    powers = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    return (bsn[:, None] // powers[None, :]) % 10


def is_valid(bsn: np.ndarray) -> np.ndarray:
    total = digits(bsn) @ WEIGHTS
    return (total % 11 == 0) & (total != 0)


class BsnPool:
    """Hands out unique valid BSNs in a deterministic order."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._used: set[int] = set()
        self._stock = np.empty(0, dtype=np.int64)

    def _refill(self, n: int) -> None:
        want = max(n * 2, 10_000)
        zero_lead = self._rng.random(want) < LEADING_ZERO_SHARE
        first = np.where(zero_lead, 0, self._rng.integers(1, 7, want))
        second = np.where(zero_lead, self._rng.integers(1, 10, want), self._rng.integers(0, 10, want))
        rest = self._rng.integers(0, 1_000_000, want)
        prefix = first * 10_000_000 + second * 1_000_000 + rest  # 8 digits d1..d8
        powers = 10 ** np.arange(7, -1, -1, dtype=np.int64)
        d = (prefix[:, None] // powers[None, :]) % 10
        weighted = d @ WEIGHTS[:8]
        check = weighted % 11
        ok = (check <= 9) & (weighted - check != 0)
        candidates = prefix[ok] * 10 + check[ok]
        _, first_idx = np.unique(candidates, return_index=True)
        candidates = candidates[np.sort(first_idx)]  # unique, in drawn order
        fresh = np.array([c for c in candidates.tolist() if c not in self._used], dtype=np.int64)
        self._stock = np.concatenate([self._stock, fresh])

    def take(self, n: int) -> np.ndarray:
        while len(self._stock) < n:
            self._refill(n - len(self._stock))
        out, self._stock = self._stock[:n], self._stock[n:]
        self._used.update(out.tolist())
        return out


def mistype(bsn: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change one digit of each BSN: a single changed digit always fails the 11-check."""
    bsn = np.asarray(bsn, dtype=np.int64)
    pos = rng.integers(0, 9, len(bsn))
    powers = 10 ** (8 - pos)
    old = (bsn // powers) % 10
    new = (old + rng.integers(1, 10, len(bsn))) % 10
    return bsn + (new - old) * powers


def text9(bsn: np.ndarray) -> np.ndarray:
    return np.array([f"{x:09d}" for x in np.asarray(bsn, dtype=np.int64).tolist()], dtype=object)

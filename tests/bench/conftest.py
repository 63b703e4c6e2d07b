"""Fixtures for the benchmark's smoke test: a small demo delivery set (scale 0.1, three months
around the 2017-11 re-delivery and the 2018 switch from legacy to canonical partner headers),
generated into a private directory (not pytest's numbered base directory, which concurrent pytest
sessions on this machine rotate away)."""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from bench_smoke import PSEUDONYM_KEY, REPO  # noqa: F401

sys.path.insert(0, str(REPO))  # bench/ is not an installed package


@pytest.fixture(scope="session")
def scratch():
    root = Path(tempfile.mkdtemp(prefix="statmon-bench-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def small_raw(scratch) -> Path:
    from orchestration.demo import generate

    raw = scratch / "raw"
    generate(raw, scale=0.1, seed=42, start="2017-11", end="2018-01")
    return raw

"""Fixtures for the demo-data tests: generated once per session into pytest's temporary directory."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the independent checker beside these tests

from orchestration.demo import generate  # noqa: E402


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """Scale 0.1, seed 42, the whole calibration range: a second or two."""
    out = tmp_path_factory.mktemp("demo_small")
    summary = generate(out, scale=0.1, seed=42)
    return out, summary


@pytest.fixture(scope="session")
def haarlem_demo(tmp_path_factory):
    """Scale 1, seed 42, 2014-01..2018-05: the calibrated Haarlem dataset."""
    out = tmp_path_factory.mktemp("demo_haarlem")
    summary = generate(out, scale=1.0, seed=42)
    return out, summary


@pytest.fixture(scope="session")
def haarlem_frames(haarlem_demo):
    from checker import read_deliveries

    return read_deliveries(haarlem_demo[0])

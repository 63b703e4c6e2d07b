"""Fixtures for the demo-data tests: generated once per session.

The data goes into directories of our own (tempfile), not pytest's numbered base directory:
other pytest sessions running at the same time on this machine rotate those away."""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the independent checker beside these tests

from orchestration.demo import generate  # noqa: E402


@pytest.fixture(scope="session")
def scratch():
    """A private scratch directory for the whole session, removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="statmon-demo-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def workdir(scratch, request):
    path = scratch / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def small_demo(scratch):
    """Scale 0.1, seed 42, the whole calibration range: a second or two."""
    out = scratch / "demo_small"
    summary = generate(out, scale=0.1, seed=42)
    return out, summary


@pytest.fixture(scope="session")
def small_frames(small_demo):
    from checker import read_deliveries

    return read_deliveries(small_demo[0])


@pytest.fixture(scope="session")
def haarlem_demo(scratch):
    """Scale 1, seed 42, 2014-01..2018-05: the calibrated Haarlem dataset."""
    out = scratch / "demo_haarlem"
    summary = generate(out, scale=1.0, seed=42)
    return out, summary


@pytest.fixture(scope="session")
def haarlem_frames(haarlem_demo):
    from checker import read_deliveries

    return read_deliveries(haarlem_demo[0])

"""Settings and helpers shared by the benchmark's smoke test and its fixtures (imported by name,
never `from conftest import`: every test folder has a conftest and a bare name finds whichever
loaded first)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PSEUDONYM_KEY = "bench-smoke-test-key"


def run_lower_bound(raw: Path, db: Path, env: dict, *extra: str) -> dict:
    """bench/lower_bound.py as the benchmark runs it (a process of its own); its JSON summary."""
    lb = subprocess.run([sys.executable, str(REPO / "bench" / "lower_bound.py"), "--raw-dir", str(raw),
                         "--db", str(db), *extra], env=env, capture_output=True, text=True, cwd=REPO)
    assert lb.returncode == 0, lb.stderr[-3000:]
    return json.loads(lb.stdout)

"""Settings shared by the benchmark's smoke test and its fixtures (imported by name, never
`from conftest import`: every test folder has a conftest and a bare name finds whichever loaded first)."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PSEUDONYM_KEY = "bench-smoke-test-key"

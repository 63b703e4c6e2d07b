"""The Dagster home `statmon run` and `make dagster-dev` use: DAGSTER_HOME, or `dagster_home/`
beside the warehouse. A home gets orchestration/dagster.yaml when it has none; a home whose
dagster.yaml is byte-identical to one this project shipped before is upgraded to the current
one (a steward who edited the file keeps theirs: it is theirs to merge).

`python -m orchestration.dagster_home HOME` does the same for a given home (make dagster-dev)."""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

SHIPPED_DAGSTER_YAML = Path(__file__).with_name("dagster.yaml")

# sha256 of every dagster.yaml this project shipped before the current one
# (`git log -- orchestration/dagster.yaml`). Add the old digest here when changing the file.
PREVIOUS_SHIPPED_DIGESTS = {
    "7c8d715433ee42041fccfbe6aca4f99319be4a856266a248a68909eb3f1cd9ec",  # d4e589b: run queue limit 1
    "bee446ea09c848b3e970eef5bfc1e7c0c0e89ee99fd2ce139fc6cda64a1d0c34",  # 54fb035: + no compute-log capture
}


def home_for(warehouse: Path) -> Path:
    """DAGSTER_HOME when set (as `dagster dev` uses it), else a home beside the warehouse."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    return warehouse.parent / "dagster_home"


def prepare_home(home: Path) -> str | None:
    """Give `home` the shipped dagster.yaml when it has none or has an unedited older one.
    Returns what was done (for the console), None when the file was left as it is."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    shipped = SHIPPED_DAGSTER_YAML.read_bytes()
    if not target.exists():
        _write_atomically(target, shipped)
        return None  # a new home: nothing to tell
    current = target.read_bytes()
    if current == shipped or hashlib.sha256(current).hexdigest() not in PREVIOUS_SHIPPED_DIGESTS:
        return None
    _write_atomically(target, shipped)
    return f"{target}: upgraded to the current orchestration/dagster.yaml (it was an unedited older copy)"


def _write_atomically(target: Path, content: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    temporary.write_bytes(content)
    os.replace(temporary, target)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Create or upgrade the dagster.yaml of a Dagster home.")
    parser.add_argument("home", type=Path, help="the Dagster home directory (DAGSTER_HOME)")
    note = prepare_home(parser.parse_args().home)
    if note:
        print(note)

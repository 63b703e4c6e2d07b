"""The Dagster home of the monitor, set up in one place for `statmon run`, `make dagster-dev` and
the tests: DAGSTER_HOME when set (as `dagster dev` uses it), else `dagster_home/` beside the
warehouse. A home gets orchestration/dagster.yaml when it has none; a home whose dagster.yaml is
byte-identical to one this project shipped before is upgraded to the current one. A steward who
edited the file keeps it (it is theirs to merge), unless it names a module this project no longer
has: then Dagster could not start, and the message says what to change.

`python -m orchestration.dagster_home HOME` prepares a given home (make dagster-dev)."""
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
    "38d7f6ae5aee52250d0b30a1d1c24e688861874cb3177b5bd43caf815a021944",  # f2529e0: + pooled event log storage
}

# Modules that dagster.yaml files of earlier versions name and that no longer exist, with what
# replaces them.
REMOVED_MODULES = {
    "orchestration.event_log_storage": "remove its `event_log_storage:` block: Dagster's default SQLite "
                                       "storage reads the same history (history/runs/ in the home)",
}


class DagsterHomeError(RuntimeError):
    """A Dagster home this version cannot use as it is (the message says what to change)."""


def home_for(warehouse: Path) -> Path:
    """DAGSTER_HOME when set, else `dagster_home/` beside the warehouse."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    return Path(warehouse).parent / "dagster_home"


def prepare_home(home: Path) -> str | None:
    """Give `home` the shipped dagster.yaml when it has none or has an unedited older one.
    Returns what was done (for the console), None when nothing needed saying. Raises
    DagsterHomeError for an edited dagster.yaml that names a removed module."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    shipped = SHIPPED_DAGSTER_YAML.read_bytes()
    if not target.exists():
        _write_atomically(target, shipped)
        return None  # a new home: nothing to tell
    current = target.read_bytes()
    if current == shipped:
        return None
    if hashlib.sha256(current).hexdigest() in PREVIOUS_SHIPPED_DIGESTS:
        _write_atomically(target, shipped)
        return f"{target}: upgraded to the current orchestration/dagster.yaml (it was an unedited older copy)"
    text = current.decode("utf-8", errors="replace")
    problems = [f"it names {module}, which this version no longer has: {fix}"
                for module, fix in REMOVED_MODULES.items() if module in text]
    if problems:
        raise DagsterHomeError(f"{target} was edited and cannot be used as it is: {'; '.join(problems)}. "
                               f"Or replace it with {SHIPPED_DAGSTER_YAML} and carry your changes over.")
    return None


def use_home(warehouse: Path, out=sys.stderr) -> Path:
    """Prepare the Dagster home of `warehouse` and point DAGSTER_HOME at it, so that
    `dagster.DagsterInstance.get()` opens it. Prints what was upgraded to `out`."""
    home = home_for(warehouse).resolve()
    note = prepare_home(home)
    if note:
        print(note, file=out)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _write_atomically(target: Path, content: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    temporary.write_bytes(content)
    os.replace(temporary, target)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Create or upgrade the dagster.yaml of a Dagster home.")
    parser.add_argument("home", type=Path, help="the Dagster home directory (DAGSTER_HOME)")
    try:
        note = prepare_home(parser.parse_args().home)
    except DagsterHomeError as exc:
        sys.exit(str(exc))
    if note:
        print(note)

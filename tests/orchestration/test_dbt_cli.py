"""statmon-dbt-cli, the dbt executable dagster-dbt starts: the same version dbt reports, read
without importing dbt, and dbt itself for every other command (arguments, output, exit status)."""
import re
import subprocess
import sys
import time
from pathlib import Path

from orchestration import config
from orchestration.definitions import defs

BIN = Path(sys.executable).parent


def _installed(output: str) -> str:
    return re.search(r"installed:\s*(\d+\.\d+\.\d+)", output).group(1)


def test_version_is_dbts_own_answer_without_importing_dbt():
    started = time.perf_counter()
    ours = subprocess.run([BIN / "statmon-dbt-cli", "--version"], capture_output=True, text=True, check=True)
    ours_seconds = time.perf_counter() - started
    dbts = subprocess.run([BIN / "dbt", "--version"], capture_output=True, text=True, check=True)
    assert _installed(ours.stdout) == _installed(dbts.stdout)
    # what dagster-dbt reads from it: the first x.y.z of the output, major version 1 (dbt Core)
    assert re.search(r"(\d+\.\d+\.\d+)", ours.stdout).group(1).startswith("1.")
    # no import of dbt: well under the second dbt needs to load (generous for a loaded machine)
    assert ours_seconds < 1.0, ours_seconds


def test_every_other_command_is_dbt_itself():
    parse_error = subprocess.run([BIN / "statmon-dbt-cli", "run", "--no-such-flag"], capture_output=True, text=True)
    direct = subprocess.run([BIN / "dbt", "run", "--no-such-flag"], capture_output=True, text=True)
    assert parse_error.returncode == direct.returncode == 2
    assert (parse_error.stdout, parse_error.stderr) == (direct.stdout, direct.stderr)
    assert "No such option '--no-such-flag'" in parse_error.stderr
    listed = subprocess.run([BIN / "statmon-dbt-cli", "ls", "--quiet", "--resource-type", "seed", "--output", "name",
                             "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR)],
                            capture_output=True, text=True, cwd=config.DBT_PROJECT_DIR)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "initiatieven" in listed.stdout.split()


def test_the_code_location_starts_dbt_through_it():
    dbt = defs.resources["dbt"]
    assert Path(dbt.dbt_executable).name == "statmon-dbt-cli"
    assert Path(dbt.dbt_executable).exists()

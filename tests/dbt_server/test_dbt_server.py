"""The dbt started early (orchestration/dbt_prewarm.py): a command run through `statmon-dbt` and
the server gives what plain dbt gives (output and exit status), falls back to plain dbt without a
server, and no server outlives its parent or an interrupted client. Every `statmon run` in
tests/orchestration, tests/reliability and tests/e2e goes through it for the real `dbt build`."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestration import config
from orchestration.dbt_prewarm import SOCKET_ENV, start_server

CLIENT = str(Path(sys.executable).with_name("statmon-dbt"))
DBT = str(Path(sys.executable).with_name("dbt"))
PROJECT = Path(config.DBT_PROJECT_DIR).resolve()


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    return {**env, "STATMON_WAREHOUSE": str(tmp_path / "monitor.duckdb"), "DBT_LOG_FORMAT": "json",
            "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "target"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def _models(stdout: bytes) -> list[str]:
    """The node names `dbt ls` printed (JSON log lines: a PrintEvent per name)."""
    names = []
    for line in stdout.splitlines():
        event = json.loads(line)
        if event["info"]["name"] == "PrintEvent":
            names.append(event["info"]["msg"])
    return sorted(names)


def _run_server_child(tmp_path: Path, script: str) -> subprocess.CompletedProcess:
    """Run `script` in a child process that starts the server (it is the server's parent)."""
    code = textwrap.dedent(f"""
        import os, subprocess, sys, time
        from pathlib import Path
        from orchestration.dbt_prewarm import start_server, SOCKET_ENV
        server = start_server(Path({str(PROJECT)!r}), Path({str(PROJECT)!r}), "duckdb")
        """) + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, timeout=180)


def test_a_command_through_the_server_equals_plain_dbt(tmp_path):
    args = ["ls", "--resource-type", "model", "--target", "duckdb", "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT)]
    plain = subprocess.run([DBT, *args], env=_env(tmp_path), cwd=PROJECT, capture_output=True, timeout=120)
    assert plain.returncode == 0, plain.stdout[-2000:]

    result = _run_server_child(tmp_path, f"""
        client = subprocess.run([{CLIENT!r}, *{args!r}], cwd={str(PROJECT)!r}, capture_output=True)
        sys.stdout.buffer.write(client.stdout)
        server.process.wait(timeout=60)
        sys.stderr.write(f"client={{client.returncode}} server={{server.process.returncode}} "
                         f"log={{(server.directory / 'server.log').read_text()[-500:]!r}}")
        server.stop()
    """)
    assert "client=0 server=0" in result.stderr.decode(), result.stderr.decode()[-2000:]
    served = _models(result.stdout)
    assert served == _models(plain.stdout)
    assert "statushouders_monitor.marts.caseload_monthly" in served
    # the server ran the command itself: its process id is in dbt's log lines, not the client's
    pids = {json.loads(line)["info"]["pid"] for line in result.stdout.splitlines()}
    assert len(pids) == 1


def test_a_failing_command_keeps_dbts_exit_status(tmp_path):
    args = ["ls", "--select", "no_such_model_anywhere+", "--target", "duckdb", "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT), "--warn-error"]
    plain = subprocess.run([DBT, *args], env=_env(tmp_path), cwd=PROJECT, capture_output=True, timeout=120)
    assert plain.returncode != 0
    result = _run_server_child(tmp_path, f"""
        client = subprocess.run([{CLIENT!r}, *{args!r}], cwd={str(PROJECT)!r}, capture_output=True)
        server.stop()
        sys.exit(client.returncode)
    """)
    assert result.returncode == plain.returncode


def test_without_a_server_the_client_is_plain_dbt(tmp_path):
    env = _env(tmp_path)
    assert SOCKET_ENV not in env
    result = subprocess.run([CLIENT, "--version"], env=env, capture_output=True, timeout=120)
    assert result.returncode == 0
    assert b"1.11" in result.stdout
    # a socket that is gone (the server died): plain dbt too
    result = subprocess.run([CLIENT, "--version"], env={**env, SOCKET_ENV: str(tmp_path / "gone.sock")},
                            capture_output=True, timeout=120)
    assert result.returncode == 0 and b"1.11" in result.stdout


def test_the_server_dies_with_its_parent(tmp_path):
    """A `statmon run` killed before its dbt step leaves no dbt server behind."""
    result = _run_server_child(tmp_path, """
        print(server.process.pid, flush=True)
        os._exit(0)  # the parent dies without stopping its server
    """)
    pid = int(result.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and not _zombie(pid):
        time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


def test_an_interrupted_client_ends_the_servers_command(tmp_path):
    """dagster-dbt interrupts dbt by signalling its process (the client): the server must stop
    too, not build on in the background holding the warehouse."""
    args = ["ls", "--target", "duckdb", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)]
    result = _run_server_child(tmp_path, f"""
        import signal
        client = subprocess.Popen([{CLIENT!r}, *{args!r}], cwd={str(PROJECT)!r}, stdout=subprocess.PIPE)
        time.sleep(0.5)  # connected, waiting for the server's parse or already running
        client.send_signal(signal.SIGKILL)
        client.wait()
        server.process.wait(timeout=60)
        print(server.process.returncode)
        server.stop()
    """)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    # killed while its command ran (130), or the command had finished already (0); never left waiting
    assert int(result.stdout.split()[-1]) in (0, 130)

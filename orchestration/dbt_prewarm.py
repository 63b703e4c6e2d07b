"""A dbt that starts while Dagster starts: `statmon run` spends ~4 s of every run in front of
`dbt build` on dbt's own start (importing dbt-core and the adapter, ~3 s) and project parse
(~1.3 s with partial parsing). Both depend on nothing the run computes, so `statmon run` starts a
one-shot dbt server before it imports Dagster; the server imports dbt and parses the project on
the otherwise idle core, then waits for exactly one command.

dagster-dbt runs dbt as a subprocess; its executable is then `statmon-dbt` (the client below):
it hands its arguments, environment and working directory to the server over a Unix socket and
relays dbt's output and exit status, so dagster-dbt sees an ordinary dbt process. The server runs
the command with dbt's Python API (`dbtRunner`) on the manifest it parsed.

Safe fallbacks, each the plain `dbt` of this environment:
- no server (dagster dev, tests, the server failed to start or parse): the client execs dbt;
- an environment variable the project reads (`STATMON_*`) differs from the one parsed with:
  the server parses again before it runs.
The server exits after its one command, when its parent (`statmon run`) dies, when the client
hangs up (dagster-dbt interrupts dbt by signalling the client) and when nobody calls it in
`IDLE_SECONDS`."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SOCKET_ENV = "STATMON_DBT_SERVER_SOCKET"
IDLE_SECONDS = 3600
EXIT_MARKER = b"\x00statmon-dbt-exit:"
# dbt reads these from the environment while it parses; a difference means parse again
PARSE_ENV_PREFIXES = ("STATMON_",)


def _parse_env(env) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(PARSE_ENV_PREFIXES) and k != SOCKET_ENV}


# ------------------------------------------------------------------------------------------ parent


class DbtServer:
    """The started server of one `statmon run`; `stop()` when the run is over."""

    def __init__(self, process: subprocess.Popen, directory: Path):
        self.process, self.directory = process, directory
        self.parse_target = directory / "target"  # the server's parse writes partial_parse.msgpack here

    def stop(self) -> None:
        """End a server nobody called (a run that failed before dbt) and remove its socket
        directory; a server that ran its command has exited already."""
        import shutil

        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.environ.pop(SOCKET_ENV, None)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_server(project_dir: Path, profiles_dir: Path, target: str,
                 partial_parse: Path | None = None) -> DbtServer | None:
    """Start the dbt server for this process's one dbt command and point the client at it
    (SOCKET_ENV). `partial_parse`: a partial_parse.msgpack of this warehouse's last build, so the
    server parses only what changed. None if it could not start: dbt then starts as usual."""
    import shutil

    directory = Path(tempfile.mkdtemp(prefix="statmon-dbt-"))  # mode 0700: only this user connects
    path = directory / "dbt.sock"
    # its own target path: the project's target/ (manifest.json) is read by this process meanwhile
    parse_target = directory / "target"
    parse_target.mkdir()
    if partial_parse and Path(partial_parse).exists():
        shutil.copyfile(partial_parse, parse_target / "partial_parse.msgpack")
    # The socket listens before the server starts, so a client can connect at once; the server
    # holds the only copy, so when it dies a client's connect fails and it runs plain dbt.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    command = [sys.executable, "-m", "orchestration.dbt_prewarm", "serve", str(os.getpid()), str(listener.fileno()),
               str(project_dir), str(profiles_dir), target, str(parse_target)]
    try:
        with open(directory / "server.log", "wb") as log:  # what dbt says before the command
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       pass_fds=(listener.fileno(),))
    except OSError:
        shutil.rmtree(directory, ignore_errors=True)
        return None
    finally:
        listener.close()
    os.environ[SOCKET_ENV] = str(path)
    return DbtServer(process, directory)


# ------------------------------------------------------------------------------------------ server


def _exit_with_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


_command_done = threading.Event()


def _exit_when_client_hangs_up(conn: socket.socket) -> None:
    # the client sends its request and then nothing: readable again means it closed, and while
    # the command still runs that is an interrupt (dagster-dbt signalled the client)
    try:
        conn.recv(1)
    except OSError:
        pass
    if not _command_done.is_set():
        os._exit(130)


def _dbt_args(project_dir: str, profiles_dir: str, target: str) -> list[str]:
    return ["--project-dir", project_dir, "--profiles-dir", profiles_dir, "--target", target]


def serve(parent: str, listener_fd: str, project_dir: str, profiles_dir: str, target: str, parse_target_path: str) -> int:
    # the parent's pid as it was given: if it died before this line, getppid() is already another
    threading.Thread(target=_exit_with_parent, args=(int(parent),), daemon=True).start()
    listener = socket.socket(fileno=int(listener_fd))

    from dbt.cli.main import dbtRunner

    parsed_env = _parse_env(os.environ)
    parse_args = ["parse", "--quiet", "--target-path", parse_target_path, *_dbt_args(project_dir, profiles_dir, target)]
    try:
        parsed = dbtRunner().invoke(parse_args)
        manifest = parsed.result if parsed.success else None
    except Exception:  # any parse problem: the command parses itself and reports it
        manifest = None

    listener.settimeout(IDLE_SECONDS)
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        return 0
    finally:
        listener.close()
    conn.settimeout(None)
    line = conn.makefile("rb").readline()
    if not line:  # the client was gone before it asked anything
        return 130
    request = json.loads(line)
    threading.Thread(target=_exit_when_client_hangs_up, args=(conn,), daemon=True).start()

    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if _parse_env(os.environ) != parsed_env:
        manifest = None
    # dbt writes its log lines to stdout: make fd 1 and 2 the socket, so they go to the client
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(conn.fileno(), 1)
    os.dup2(conn.fileno(), 2)
    try:
        result = dbtRunner(manifest=manifest).invoke(request["args"])
        code = 0 if result.success else (2 if result.exception is not None else 1)
    except BaseException as err:  # noqa: BLE001 - the client must get an exit status whatever happens
        print(f"statmon-dbt: dbt failed in the server: {type(err).__name__}: {err}", flush=True)
        code = 2
    _command_done.set()
    _close_warehouse()
    sys.stdout.flush()
    sys.stderr.flush()
    # The client exits when this process is gone: like a plain dbt, whose exit dagster-dbt awaits
    # before the step opens the warehouse again (DuckDB has one writer).
    os.write(1, EXIT_MARKER + f"{code}:{os.getpid()}".encode() + b"\n")
    os._exit(code)


def _close_warehouse() -> None:
    """Close dbt-duckdb's database now (a checkpoint, then the file lock is free), not whenever its
    module-level environment is collected."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (postgres): dbt closed its connections after the command
        return
    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        try:
            environment.close()
        except Exception:  # noqa: BLE001 - exiting anyway; DuckDB's WAL keeps what was committed
            pass


# ------------------------------------------------------------------------------------------ client


def dbt_executable(plain_dbt: str) -> str:
    """The executable dagster-dbt should start: `statmon-dbt` while a server waits, else plain dbt."""
    if os.environ.get(SOCKET_ENV):
        return str(Path(sys.executable).with_name("statmon-dbt"))
    return plain_dbt


def _real_dbt() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def _wait_until_gone(pid: int, seconds: float = 60.0) -> None:
    """Until the process has exited (a zombie waiting for its parent has let go of every file)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.02)


def client_main() -> None:
    """`statmon-dbt ARGS`: run `dbt ARGS` in the waiting server, or as plain dbt when there is none."""
    args = sys.argv[1:]
    path = os.environ.get(SOCKET_ENV)
    conn = None
    if path:
        try:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(path)
        except OSError:  # no server listens any more
            conn = None
    if conn is None:
        os.execv(_real_dbt(), ["dbt", *args])
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    conn.sendall(json.dumps({"args": args, "env": env, "cwd": os.getcwd()}).encode() + b"\n")
    code, server_pid, received = None, None, False
    out = sys.stdout.buffer
    try:
        for line in conn.makefile("rb"):
            if line.startswith(EXIT_MARKER):
                code_text, _, pid_text = line[len(EXIT_MARKER):].strip().decode().partition(":")
                code, server_pid = int(code_text or 2), int(pid_text or 0)
                break
            received = True
            out.write(line)
            out.flush()
    except OSError:
        pass
    conn.close()
    if server_pid:
        _wait_until_gone(server_pid)
    if code is None and not received:  # the server died before it took the command
        os.execv(_real_dbt(), ["dbt", *args])
    if code is None:
        print("statmon-dbt: the dbt server stopped before dbt finished", flush=True)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "serve":
        sys.exit(serve(*sys.argv[2:8]))
    sys.exit("usage: python -m orchestration.dbt_prewarm serve PARENT_PID LISTENER_FD PROJECT_DIR PROFILES_DIR TARGET "
             "PARSE_TARGET_PATH")

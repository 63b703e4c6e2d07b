"""The benchmark (`make bench`): the pipeline beside its DuckDB lower bound at municipal (scale 1)
and national (scale 100) scale. Writes bench/results.md; every measurement is also appended to
bench/data/measurements.jsonl (git-ignored) so that figures measured in separate invocations can
be written into one table.

Figures, each the median over several runs (`--runs-1`, `--runs-100`):
  backfill   `statmon run` of every month (2014-01..2018-05) into an empty warehouse
  refresh    `statmon run --month 2018-05` on a warehouse loaded with 2014-01..2018-04
             (the raw directory then gains the 2018-05 folder)
  no-change  `statmon run` (every month, no --month) after the backfill: nothing new over all 53
             months, the fixed overhead of a second `make run`
  history    the refresh of one month on top of 12, 48 and 96 months of history (scale 1,
             demo data 2014-01..2022-01), with dbt's per-model timings
  peak memory  the largest sum of RSS over the process tree (statmon + dbt), polled every 50 ms
  effect     beside each: the effect step (the dbt node seconds of int_effect_* and the two
             effect marts; the lower bound's bench/effect_lower_bound.py phase)
The lower bound (bench/lower_bound.py) does the same work in each case as plain DuckDB SQL.

Every pipeline run is a fresh process from the command line to exit, with its own DAGSTER_HOME
and reports directory. A run starts from a copy of a prepared state (warehouse, Dagster home,
lower-bound database), so runs are independent. Demo data and prepared states are cached under
bench/data/ (state is rebuilt when orchestration/, dbt_project/, expectations/ or the lower bound
changed: the git tree hashes plus uncommitted changes are the fingerprint); a dataset is
regenerated when the demo generator's code (orchestration/demo/*.py) changed.

    .venv/bin/python bench/run_bench.py [--scales 1,100] [--runs-1 3] [--runs-100 1]
        [--figures backfill,refresh,nochange,history] [--write-only]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
STATE = DATA / "state"
WORK = DATA / "work"
MEASUREMENTS = DATA / "measurements.jsonl"
RESULTS = REPO / "bench" / "results.md"
STATMON = REPO / ".venv" / "bin" / "statmon"
PYTHON = REPO / ".venv" / "bin" / "python"
LOWER_BOUND = REPO / "bench" / "lower_bound.py"
DEMO_MARKER = ".statmon-demo"
PSEUDONYM_KEY = "statmon-bench-pseudonym-key"
SEED = 42
REFRESH_MONTH = "2018-05"
HISTORY_RANGE = ("2014-01", "2022-01")  # 96 months of history and one new month
HISTORY_LENGTHS = (12, 48, 96)
NO_NEW_DATA = "no new data since the last publication: nothing rebuilt"  # statmon run's line (orchestration/build_record.py)
REPORT_STEPS = ("council_report", "data_docs")  # Dagster steps timed apart from the refresh
TARGETS = {  # issue 13 point 5 and issue 12 point 6
    ("refresh", 100): "<= 2x lower bound",
    ("backfill", 100): "<= 2x lower bound",
    ("peak_memory", 100): "< 4 GB",
    ("refresh", 1): "< 20 s wall clock",
    ("nochange", 1): "< 15 s wall clock",
    ("effect", 1): "< 5 s",
    ("effect", 100): "< 60 s",
}
# the effect step of the pipeline: these dbt models' node seconds (run_results.json)
EFFECT_MODELS = ("initiative_effect", "initiative_effect_curve")
EFFECT_PREFIX = "int_effect_"
REUSE_STATES = False  # --reuse-states: keep prepared states made by other code (saves their backfills)
SESSION = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# ------------------------------------------------------------------------------------------------
# Measuring one process tree

def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_rss_bytes(root: int, per_command: dict[str, int] | None = None) -> int:
    """Sum of resident memory of `root` and all its descendants (shared pages counted per process,
    as `ps` does: an upper bound of what the run holds). `per_command` collects each command's
    (statmon, dbt, ...) largest RSS."""
    children, total, todo = _children_of(), 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                rss = int(fh.read().split()[1]) * page
            total += rss
            if per_command is not None:
                with open(f"/proc/{pid}/comm") as fh:
                    name = fh.read().strip()
                per_command[name] = max(per_command.get(name, 0), rss)
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total


def load_average() -> float:
    return os.getloadavg()[0]


QUIET_FOR: list[str] = []  # --quiet-for: command-line words whose processes a timed run waits out


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
            pid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except OSError:
            break
    return pids


def busy_processes() -> list[str]:
    """Other processes whose command line holds one of QUIET_FOR (this process and its parents,
    whose command lines name them, excepted)."""
    if not QUIET_FOR:
        return []
    mine, found = _ancestors(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(word in cmdline for word in QUIET_FOR):
            found.append(f"{entry}: {cmdline[:80]}")
    return found


def wait_until_quiet(poll_seconds: int = 60) -> None:
    """Before a timed run: wait while another heavy job (--quiet-for) runs on the machine."""
    while busy := busy_processes():
        print(f"  waiting for {len(busy)} process(es) to end ({busy[0]}), load {load_average():.2f}", flush=True)
        time.sleep(poll_seconds)


@dataclass
class Run:
    figure: str
    scale: float
    side: str                      # pipeline | lower_bound
    seconds: float
    peak_rss_mb: float
    returncode: int
    load_before: float
    history_months: int | None = None
    started_at: str = ""
    session: str = SESSION
    commit: str = ""
    steps: dict = field(default_factory=dict)       # Dagster step -> seconds
    startup_seconds: float | None = None            # process start -> Dagster run start
    dbt: dict = field(default_factory=dict)         # dbt model/test timings
    detail: str = ""
    peak_rss_by_command_mb: dict = field(default_factory=dict)
    effect_seconds: float | None = None             # the effect step: dbt node seconds / lower bound's phase


def measure(cmd: list[str], env: dict, cwd: Path, log: Path, per_command: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak tree RSS (MB) and exit status of `cmd`, stdout/stderr to `log`;
    per_command (if given) receives each command's peak RSS in MB."""
    peak = 0
    by_command: dict[str, int] = {}
    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def poll():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_bytes(proc.pid, by_command))
                done.wait(0.05)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        returncode = proc.wait()
        seconds = time.perf_counter() - started
        done.set()
        poller.join()
    if per_command is not None:
        per_command.update({k: round(v / 2**20) for k, v in by_command.items()})
    return seconds, peak / 2**20, returncode


# ------------------------------------------------------------------------------------------------
# Data and prepared states

def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()


def code_fingerprint() -> str:
    """What the prepared states depend on: the committed trees plus uncommitted changes."""
    paths = ["orchestration", "dbt_project/models", "dbt_project/macros", "dbt_project/seeds",
             "dbt_project/dbt_project.yml", "expectations", "bench/lower_bound.py", "bench/effect_lower_bound.py"]
    trees = [git("rev-parse", f"HEAD:{p}") for p in paths]
    dirty = git("diff", "HEAD", "--", *paths)
    return hashlib.sha256(("\n".join(trees) + dirty).encode()).hexdigest()[:16]


def generator_fingerprint() -> str:
    """What a cached dataset depends on besides its scale, seed and months: the demo generator's
    code (orchestration/demo/*.py), so data made by an older generator is never reused."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "orchestration" / "demo").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


GENERATOR_STAMP = "bench-dataset.json"  # beside the data: scale, seed, months (pinned) and generator


def dataset(scale: float, start: str = "2014-01", end: str = "2018-05") -> Path:
    """Demo deliveries, generated once and cached under bench/data/. The months are always given
    to the generator (its default --to moves), and the cache holds only data of the current
    generator."""
    name = f"scale-{scale:g}" if (start, end) == ("2014-01", "2018-05") else f"scale-{scale:g}-{start}_{end}"
    path = DATA / name
    wanted = {"scale": scale, "seed": SEED, "from": start, "to": end, "generator": generator_fingerprint()}
    stamp = path / GENERATOR_STAMP
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return path
    if path.exists():
        shutil.rmtree(path)
    print(f"generating demo data {name} (scale {scale:g}, {start}..{end}) ...", flush=True)
    subprocess.run([str(STATMON), "demo-data", "--out", str(path), "--scale", f"{scale:g}", "--seed", str(SEED),
                    "--from", start, "--to", end], check=True, cwd=REPO)
    stamp.write_text(json.dumps(wanted))
    return path


def months_of(data: Path) -> list[str]:
    return sorted(p.name for p in data.iterdir() if p.is_dir() and len(p.name) == 7 and p.name[4] == "-")


def raw_view(data: Path, months: list[str], dest: Path) -> Path:
    """A raw directory holding `months` of a dataset (symlinks: raw/ is only read)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(data / DEMO_MARKER, dest / DEMO_MARKER)
    for m in months:
        link = dest / m
        if not link.exists():
            link.symlink_to(data / m, target_is_directory=True)
    return dest


class Workspace:
    """raw/ (symlinks), warehouse/, dagster_home/, reports/ and the lower bound's database."""

    def __init__(self, root: Path):
        self.root = root
        self.raw = root / "raw"
        self.warehouse = root / "warehouse" / "monitor.duckdb"
        self.dagster_home = root / "dagster_home"
        self.reports = root / "reports"
        self.lower_bound_db = root / "lower_bound.duckdb"
        self.logs = root / "logs"

    def create(self) -> "Workspace":
        for d in (self.raw, self.warehouse.parent, self.dagster_home, self.reports, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        return self

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STATMON_", "DAGSTER_"))}
        return {**env, "DAGSTER_HOME": str(self.dagster_home), "STATMON_REPORTS_DIR": str(self.reports),
                "STATMON_PSEUDONYM_KEY": PSEUDONYM_KEY}

    def clone(self, dest: Path) -> "Workspace":
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(self.root, dest, symlinks=True)
        return Workspace(dest)


def prepared_state(name: str, data: Path, months: list[str], scale: float, workdir: Path) -> Workspace:
    """A workspace with `months` loaded by the pipeline and by the lower bound (cached under
    STATE/name), for timed runs in `workdir`. The state is prepared in `workdir` itself and then
    copied to STATE/name; `Workspace.clone(workdir)` puts it back there before each timed run. A
    municipality refreshes the same warehouse path month after month, and state kept beside the
    warehouse (dbt's parse state, which dbt only reuses for the same profile, i.e. the same
    warehouse path) must be measured as it is used there."""
    ws = Workspace(STATE / name)
    stamp = ws.root / "prepared.json"
    wanted = {"data": str(data), "months": months, "code": code_fingerprint(), "workdir": str(workdir)}
    if stamp.exists():
        have = json.loads(stamp.read_text())
        if have == wanted or (REUSE_STATES and {**have, "code": None} == {**wanted, "code": None}):
            return ws
    if workdir.exists():
        shutil.rmtree(workdir)
    work = Workspace(workdir).create()
    raw_view(data, months, work.raw)
    print(f"preparing state {name} in {workdir}: loading {months[0]}..{months[-1]} ...", flush=True)
    prep = [record(pipeline_run(work, "prepare", scale, history_months=len(months))),
            record(lower_bound_run(work, "prepare", scale, history_months=len(months)))]
    for r in prep:
        if r.returncode != 0:
            raise SystemExit(f"preparing {name} failed ({r.side}); see {work.logs}")
    (work.root / "prepared.json").write_text(json.dumps(wanted))
    work.clone(ws.root)
    return ws


# ------------------------------------------------------------------------------------------------
# One run of each side

def dagster_steps(dagster_home: Path) -> tuple[dict, float | None, str | None]:
    """Step durations (s) of the newest run in this Dagster home, its start time (epoch) and run id."""
    runs = sorted((dagster_home / "history" / "runs").glob("*.db"), key=lambda p: p.stat().st_mtime)
    runs = [r for r in runs if r.name != "index.db"]
    if not runs:
        return {}, None, None
    con = sqlite3.connect(runs[-1])
    try:
        steps = {}
        for step_key, event in con.execute(
                "SELECT step_key, event FROM event_logs WHERE dagster_event_type IN ('STEP_SUCCESS', 'STEP_FAILURE')"):
            data = json.loads(event)["dagster_event"]["event_specific_data"] or {}
            duration = data.get("duration_ms")
            if duration is not None:
                steps[step_key] = round(duration / 1000, 3)
        start = con.execute("SELECT min(timestamp) FROM event_logs WHERE dagster_event_type = 'PIPELINE_START'").fetchone()[0]
        start_epoch = None
        if start:
            start_epoch = dt.datetime.fromisoformat(str(start)).replace(tzinfo=dt.timezone.utc).timestamp()
        return steps, start_epoch, runs[-1].stem
    finally:
        con.close()


def dbt_timings(warehouse: Path, since: float) -> dict:
    """The run_results.json dbt wrote into the warehouse's dbt target path (config.dbt_target_path)
    after `since` (epoch): per node execution seconds and materialization. {} when this run's dbt
    wrote none (no build, or its command failed)."""
    from orchestration.config import dbt_target_path

    target = dbt_target_path(warehouse)
    path = target / "run_results.json"
    if not path.exists() or path.stat().st_mtime < since:
        return {}
    results = json.loads(path.read_text())
    manifest_path = target / "manifest.json"
    nodes = json.loads(manifest_path.read_text()).get("nodes", {}) if manifest_path.exists() else {}
    out = {"elapsed": round(results.get("elapsed_time", 0.0), 3), "nodes": {}}
    for r in results["results"]:
        node = nodes.get(r["unique_id"], {})
        out["nodes"][r["unique_id"]] = {
            "seconds": round(r["execution_time"], 3), "status": r["status"],
            "materialized": (node.get("config") or {}).get("materialized"),
        }
    return out


def effect_seconds(dbt: dict) -> float | None:
    """The effect step of a dbt build: the node seconds of the int_effect_* models and the two
    effect marts (None when dbt did not build them)."""
    seconds = [v["seconds"] for node, v in (dbt.get("nodes") or {}).items()
               if node.startswith("model.") and (node.split(".")[-1].startswith(EFFECT_PREFIX)
                                                 or node.split(".")[-1] in EFFECT_MODELS)]
    return round(sum(seconds), 3) if seconds else None


def pipeline_run(ws: Workspace, figure: str, scale: float, month: str | None = None,
                 history_months: int | None = None) -> Run:
    # the Dagster home's dagster.yaml: statmon run gives it the current one (orchestration/dagster_home.py)
    cmd = [str(STATMON), "run", "--raw-dir", str(ws.raw), "--warehouse", str(ws.warehouse)]
    if month:
        cmd += ["--month", month]
    wait_until_quiet()
    load = load_average()
    started_wall = time.time()
    log = ws.logs / f"pipeline-{figure}-{int(started_wall)}.log"
    by_command: dict = {}
    seconds, peak, rc = measure(cmd, ws.env(), REPO, log, by_command)
    steps, run_start, run_id = dagster_steps(ws.dagster_home)
    dbt = dbt_timings(ws.warehouse, started_wall)
    output = log.read_text()
    detail = output[-400:] if rc else ""
    skipped_build = NO_NEW_DATA in output  # nothing changed since the last publication: no dbt build
    if skipped_build:
        detail = NO_NEW_DATA
    if rc == 0 and "statmon_dbt_models" in steps and not dbt and not skipped_build:
        # `statmon run` said ok but dbt's command did not finish (no run_results.json): not a
        # valid measurement of the pipeline's work
        rc, detail = 98, "dbt build wrote no run_results.json (failed); run not counted"
    return Run(figure, scale, "pipeline", round(seconds, 3), round(peak, 1), rc, round(load, 2), history_months,
               dt.datetime.fromtimestamp(started_wall, dt.timezone.utc).isoformat(timespec="seconds"),
               commit=git("rev-parse", "--short", "HEAD"), steps=steps,
               startup_seconds=round(run_start - started_wall, 3) if run_start else None,
               dbt=dbt, detail=detail, peak_rss_by_command_mb=by_command, effect_seconds=effect_seconds(dbt))


def lower_bound_run(ws: Workspace, figure: str, scale: float, month: str | None = None,
                    history_months: int | None = None) -> Run:
    cmd = [str(PYTHON), str(LOWER_BOUND), "--raw-dir", str(ws.raw), "--db", str(ws.lower_bound_db)]
    if month:
        cmd += ["--month", month]
    wait_until_quiet()
    load = load_average()
    started_wall = time.time()
    log = ws.logs / f"lower_bound-{figure}-{int(started_wall)}.log"
    seconds, peak, rc = measure(cmd, ws.env(), REPO, log)
    output = log.read_text()
    try:
        phases = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        phases = {}
    return Run(figure, scale, "lower_bound", round(seconds, 3), round(peak, 1), rc, round(load, 2), history_months,
               dt.datetime.fromtimestamp(started_wall, dt.timezone.utc).isoformat(timespec="seconds"),
               commit=git("rev-parse", "--short", "HEAD"), detail=output[-400:],
               effect_seconds=phases.get("seconds_effect"))


def record(run: Run) -> Run:
    MEASUREMENTS.parent.mkdir(parents=True, exist_ok=True)
    with open(MEASUREMENTS, "a") as fh:
        fh.write(json.dumps(asdict(run)) + "\n")
    status = "ok" if run.returncode == 0 else f"EXIT {run.returncode}"
    print(f"  {run.figure:<9} scale {run.scale:g} {run.side:<11} {run.seconds:8.1f} s  {run.peak_rss_mb:7.0f} MB  "
          f"load {run.load_before:.2f}  {status}" + (f"  history {run.history_months}" if run.history_months else ""),
          flush=True)
    return run


# ------------------------------------------------------------------------------------------------
# The figures

def bench_backfill(scale: float, runs: int, nochange: bool = False) -> None:
    """The backfill of every month into an empty warehouse; with nochange, then `statmon run` of
    every month once more, as a second `make run`: nothing new over all 53 months."""
    data = dataset(scale)
    for i in range(runs):
        root = WORK / f"backfill-{scale:g}"
        if root.exists():
            shutil.rmtree(root)
        ws = Workspace(root).create()
        raw_view(data, months_of(data), ws.raw)
        record(pipeline_run(ws, "backfill", scale))
        record(lower_bound_run(ws, "backfill", scale))
        if nochange:
            record(pipeline_run(ws, "nochange", scale))
            record(lower_bound_run(ws, "nochange", scale))


def bench_refresh(scale: float, runs: int, history_from: str | None = None) -> None:
    """The refresh of 2018-05 on 2014-01..2018-04 (or, with history_from, on a shorter history:
    where a backfill of the whole history does not fit in the time available)."""
    data = dataset(scale)
    months = months_of(data)
    history = [m for m in months if (history_from or "") <= m < REFRESH_MONTH]
    short = len(history) if history_from else None  # recorded as history_months
    workdir = WORK / f"refresh-{scale:g}"
    state = prepared_state(f"{history[0]}-{history[-1]}-scale-{scale:g}", data, history, scale, workdir)
    for i in range(runs):
        ws = state.clone(workdir)
        raw_view(data, [REFRESH_MONTH], ws.raw)
        record(pipeline_run(ws, "refresh", scale, REFRESH_MONTH, history_months=short))
        record(lower_bound_run(ws, "refresh", scale, REFRESH_MONTH, history_months=short))


def bench_history(scale: float, runs: int) -> None:
    data = dataset(scale, *HISTORY_RANGE)
    months = months_of(data)
    for length in HISTORY_LENGTHS:
        history, new = months[:length], months[length]
        workdir = WORK / f"history-{length}-{scale:g}"
        state = prepared_state(f"history-{length}-scale-{scale:g}", data, history, scale, workdir)
        for i in range(runs):
            ws = state.clone(workdir)
            raw_view(data, [new], ws.raw)
            record(pipeline_run(ws, "history", scale, new, history_months=length))
            record(lower_bound_run(ws, "history", scale, new, history_months=length))


def bench_imports(runs: int) -> None:
    """`python -X importtime` of the code location: self time per top-level package."""
    for _ in range(runs):
        load = load_average()
        started = time.perf_counter()
        proc = subprocess.run([str(PYTHON), "-X", "importtime", "-c", "import orchestration.definitions"],
                              cwd=REPO, env=Workspace(WORK / "imports").env(), capture_output=True, text=True)
        seconds = time.perf_counter() - started
        packages: dict[str, float] = {}
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _cumulative, name = line.split(":", 1)[1].split("|")
            top = name.strip().split(".")[0]
            packages[top] = packages.get(top, 0.0) + int(self_us) / 1e6
        top = dict(sorted(((k, round(v, 3)) for k, v in packages.items()), key=lambda kv: -kv[1])[:12])
        record(Run("imports", 0, "pipeline", round(seconds, 3), 0.0, proc.returncode, round(load, 2),
                   started_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   commit=git("rev-parse", "--short", "HEAD"), steps=top))


# ------------------------------------------------------------------------------------------------
# results.md

def machine() -> dict:
    mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 2**20, 1), "cpu": cpu,
            "os": platform.platform(), "python": platform.python_version()}


def load_measurements() -> list[dict]:
    if not MEASUREMENTS.exists():
        return []
    return [json.loads(l) for l in MEASUREMENTS.read_text().splitlines() if l.strip()]


def latest(records: list[dict], figure: str, scale: float, side: str, history: int | None = None) -> list[dict]:
    """The successful runs of the most recent session that measured this figure."""
    rs = [r for r in records if r["figure"] == figure and r["scale"] == scale and r["side"] == side
          and r.get("history_months") == history and r["returncode"] == 0]
    if not rs:
        return []
    session = max(rs, key=lambda r: r["started_at"])["session"]
    return [r for r in rs if r["session"] == session]


def median(values):
    return statistics.median(values) if values else None


def fmt_s(v):
    return "–" if v is None else (f"{v:.1f} s" if v < 600 else f"{v / 60:.1f} min")


def fmt_mb(v):
    return "–" if v is None else (f"{v:.0f} MB" if v < 1024 else f"{v / 1024:.2f} GB")


def ratio(a, b):
    return "–" if not a or not b else f"{a / b:.1f}x"


def write_results(path: Path = RESULTS) -> None:
    records = load_measurements()
    m = machine()
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run_bench.py` (`make bench`); see bench/README.md for what each figure measures.",
        "",
        f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory; {m['os']}; Python {m['python']}",
        f"- Written: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='minutes')}",
        "",
        "Each figure is the median of n runs, each a fresh process from the command line to exit. "
        "Lower bound = bench/lower_bound.py (plain DuckDB SQL, one process, same files, row rules, "
        "HMAC pseudonyms and marts, and the effect estimate in bench/effect_lower_bound.py). Load = the 1-minute "
        "load average just before the runs (min–max). Commit = the worktree's HEAD when measured.",
        "",
        "| figure | scale | pipeline | lower bound | ratio | n | load | measured (UTC), commit | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def value(r: dict, key: str) -> float | None:
        if key == "without_report":  # the report and Data Docs steps, timed apart
            return r["seconds"] - sum(r["steps"].get(s, 0.0) for s in REPORT_STEPS)
        return r.get(key)

    def row(label, figure, scale, history=None, memory=False, without_report=False, effect=False, target_key=None):
        p = latest(records, figure, scale, "pipeline", history)
        lb = latest(records, figure, scale, "lower_bound", history)
        if not p:
            return
        key = "peak_rss_mb" if memory else ("without_report" if without_report else ("effect_seconds" if effect else "seconds"))
        lb_key = "peak_rss_mb" if memory else ("effect_seconds" if effect else "seconds")
        pv = median([v for v in (value(r, key) for r in p) if v is not None])
        lv = median([r[lb_key] for r in lb if r.get(lb_key) is not None])
        fmt = fmt_mb if memory else fmt_s
        loads = [r["load_before"] for r in p + lb]
        when = f"{min(r['started_at'] for r in p)[:16].replace('T', ' ')}, {p[0]['commit']}"
        target = TARGETS.get((target_key, scale), "") if target_key else ""
        if target:
            met = _met(target_key, scale, pv, lv)
            target = f"{target}: {'met' if met else '**missed**'}"
        lines.append(f"| {label} | {scale:g} | {fmt(pv)} | {fmt(lv)} | {ratio(pv, lv)} | {len(p)}/{len(lb)} | "
                     f"{min(loads):.2f}–{max(loads):.2f} | {when} | {target} |")

    scales = sorted({r["scale"] for r in records if r["figure"] != "imports" and r["scale"] >= 1}, key=float)
    for scale in scales:
        row("full backfill 2014-01..2018-05", "backfill", scale, target_key="backfill")
        row("backfill 2014-01..2018-04 (preparing the refresh's state)", "prepare", scale, history=52)
        row("monthly refresh (2018-05 on 52 months), whole run", "refresh", scale, target_key="refresh")
        row("monthly refresh, without the report and Data Docs steps", "refresh", scale, without_report=True)
        row("effect step in the monthly refresh (dbt node seconds of int_effect_* and the 2 effect marts)",
            "refresh", scale, effect=True, target_key="effect")
        row("effect step in the full backfill", "backfill", scale, effect=True)
        row("run with no new data over all 53 months (no --month)", "nochange", scale, target_key="nochange")
        for short in sorted({r["history_months"] for r in records if r["figure"] == "refresh" and r["scale"] == scale
                             and r.get("history_months")}):
            row(f"monthly refresh (2018-05 on only {short} months of history), whole run", "refresh", scale, short)
            row(f"monthly refresh on {short} months, without report and Data Docs", "refresh", scale, short,
                without_report=True)
            row(f"run with no new data, on {short} months", "nochange", scale, short)
            row(f"peak memory, monthly refresh on {short} months", "refresh", scale, short, memory=True)
        row("peak memory, backfill", "backfill", scale, memory=True, target_key="peak_memory")
        row("peak memory, backfill 2014-01..2018-04 (preparing)", "prepare", scale, history=52, memory=True)
        row("peak memory, monthly refresh", "refresh", scale, memory=True, target_key="peak_memory")
    for length in HISTORY_LENGTHS:
        row(f"refresh of 1 month on {length} months of history", "history", 1, history=length)

    findings = REPO / "bench" / "findings.md"  # the hand-written reading of these figures
    if findings.exists():
        lines += ["", findings.read_text().strip()]
    lines += ["", "## Where the time goes", ""]
    lines += profile_section(records)
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


def _met(figure: str, scale: float, pipeline: float | None, lower_bound: float | None) -> bool:
    """The targets of issues 13 and 12 (TARGETS spells them out)."""
    if pipeline is None:
        return False
    if figure == "peak_memory":
        return pipeline < 4096
    if figure == "refresh" and scale == 1:
        return pipeline < 20
    if figure == "nochange":
        return pipeline < 15
    if figure == "effect":
        return pipeline < (5 if scale <= 1 else 60)
    if figure in ("refresh", "backfill"):
        return lower_bound is not None and pipeline <= 2 * lower_bound
    return False


def profile_section(records: list[dict]) -> list[str]:
    out = []
    for figure, scale, history in (("refresh", 1, None), ("refresh", 100, None), ("nochange", 1, None),
                                   ("backfill", 1, None), ("prepare", 100, 52), ("backfill", 100, None)):
        p = latest(records, figure, scale, "pipeline", history)
        if not p:
            continue
        steps: dict[str, list[float]] = {}
        for r in p:
            for k, v in r["steps"].items():
                steps.setdefault(k, []).append(v)
        wall = median([r["seconds"] for r in p])
        startup = median([r["startup_seconds"] for r in p if r.get("startup_seconds") is not None])
        on = f" on {history} months" if history else ""
        out += [f"### {figure}{on}, scale {scale:g} (median of {len(p)}; wall {fmt_s(wall)})", "",
                "| step (Dagster event log) | seconds | share of wall |", "|---|---|---|"]
        if startup is not None:
            out.append(f"| process start to Dagster run start (imports, definitions, dbt manifest) | {startup:.1f} | {startup / wall:.0%} |")
        for k, vs in sorted(steps.items(), key=lambda kv: -median(kv[1])):
            out.append(f"| {k} | {median(vs):.1f} | {median(vs) / wall:.0%} |")
        accounted = (startup or 0) + sum(median(v) for v in steps.values())
        out.append(f"| rest (run end, summary, Dagster bookkeeping between steps) | {wall - accounted:.1f} | {(wall - accounted) / wall:.0%} |")
        out.append("")
        by_command: dict[str, list[float]] = {}
        for r in p:
            for k, v in (r.get("peak_rss_by_command_mb") or {}).items():
                by_command.setdefault(k, []).append(v)
        if by_command:
            out.append("Peak resident memory per process (MB, median): "
                       + ", ".join(f"{k} {median(v):.0f}" for k, v in sorted(by_command.items(), key=lambda kv: -median(kv[1])))
                       + f"; the tree's peak sum: {median([r['peak_rss_mb'] for r in p]):.0f}.")
            out.append("")
        out += dbt_section(p)
    out += history_section(records)
    out += imports_section(records)
    return out


def imports_section(records: list[dict]) -> list[str]:
    runs = latest(records, "imports", 0, "pipeline")
    if not runs:
        return []
    packages: dict[str, list[float]] = {}
    for r in runs:
        for k, v in r["steps"].items():
            packages.setdefault(k, []).append(v)
    wall = median([r["seconds"] for r in runs])
    out = [f"### Import of the code location (`python -X importtime -c 'import orchestration.definitions'`, "
           f"median of {len(runs)}: {fmt_s(wall)} wall)", "", "| package (self time of its modules) | seconds |", "|---|---|"]
    for k, vs in sorted(packages.items(), key=lambda kv: -median(kv[1])):
        out.append(f"| {k} | {median(vs):.2f} |")
    out.append("")
    return out


def dbt_section(runs: list[dict]) -> list[str]:
    per_node: dict[str, list[float]] = {}
    materialized = {}
    elapsed = median([r["dbt"].get("elapsed", 0) for r in runs if r.get("dbt")])
    for r in runs:
        for node, v in (r.get("dbt") or {}).get("nodes", {}).items():
            per_node.setdefault(node, []).append(v["seconds"])
            materialized[node] = v.get("materialized")
    if not per_node:
        return []
    kinds: dict[str, float] = {}
    for node, vs in per_node.items():
        kind = node.split(".")[0] + (f" ({materialized[node]})" if node.startswith("model.") else "")
        kinds[kind] = kinds.get(kind, 0) + median(vs)
    total = sum(kinds.values())
    out = [f"dbt build: {elapsed:.1f} s elapsed (2 threads), {len(per_node)} nodes, {total:.1f} s of node time:", "",
           "| dbt nodes | node seconds | share |", "|---|---|---|"]
    for kind, s in sorted(kinds.items(), key=lambda kv: -kv[1]):
        out.append(f"| {kind} | {s:.1f} | {s / total:.0%} |")
    out += ["", "| slowest dbt nodes | seconds |", "|---|---|"]
    for node, vs in sorted(per_node.items(), key=lambda kv: -median(kv[1]))[:10]:
        out.append(f"| {node.split('.', 2)[-1] if not node.startswith('model.') else node.split('.')[-1]} ({node.split('.')[0]}) | {median(vs):.2f} |")
    effect = {node.split(".")[-1]: median(vs) for node, vs in per_node.items() if node.startswith("model.")
              and (node.split(".")[-1].startswith(EFFECT_PREFIX) or node.split(".")[-1] in EFFECT_MODELS)}
    if effect:
        out += ["", f"| the effect step's models | seconds |", "|---|---|"]
        out += [f"| {k} | {v:.2f} |" for k, v in sorted(effect.items(), key=lambda kv: -kv[1])]
        out.append(f"| **sum** | **{sum(effect.values()):.2f}** |")
    out.append("")
    return out


def history_section(records: list[dict]) -> list[str]:
    out = []
    rows = []
    for length in HISTORY_LENGTHS:
        p = latest(records, "history", 1, "pipeline", length)
        if not p:
            continue
        models: dict[str, list[float]] = {}
        mat = {}
        for r in p:
            for node, v in (r.get("dbt") or {}).get("nodes", {}).items():
                if node.startswith("model."):
                    models.setdefault(node.split(".")[-1], []).append(v["seconds"])
                    mat[node.split(".")[-1]] = v.get("materialized")
        model_total = sum(median(v) for v in models.values())
        full = {k: median(v) for k, v in models.items() if mat.get(k) == "table"}
        incr = {k: median(v) for k, v in models.items() if mat.get(k) == "incremental"}
        rows.append((length, median([r["seconds"] for r in p]), model_total, full, incr))
    if not rows:
        return out
    out += ["### Refresh cost against the length of history (scale 1)", "",
            "| months of history | refresh wall | dbt model time | of which tables rebuilt in full | incremental models |",
            "|---|---|---|---|---|"]
    for length, wall, total, full, incr in rows:
        out.append(f"| {length} | {fmt_s(wall)} | {total:.1f} s | {sum(full.values()):.1f} s ({sum(full.values()) / total:.0%}) | "
                   f"{sum(incr.values()):.1f} s |")
    length, wall, total, full, incr = rows[-1]
    out += ["", f"Models rebuilt in full on every refresh (materialized `table`), at {length} months of history:", "",
            "| model | seconds | share of dbt model time |", "|---|---|---|"]
    for k, v in sorted(full.items(), key=lambda kv: -kv[1]):
        out.append(f"| {k} | {v:.2f} | {v / total:.0%} |")
    out.append("")
    return out


# ------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark: pipeline beside its DuckDB lower bound.")
    parser.add_argument("--scales", default="1,100", help="comma-separated demo-data scales (default: 1,100)")
    parser.add_argument("--runs-1", type=int, default=3, help="runs per figure at scale 1 (default 3)")
    parser.add_argument("--runs-100", type=int, default=1, help="runs per figure at scale 100 (default 1)")
    parser.add_argument("--figures", default="imports,refresh,nochange,backfill,history",
                        help="which figures (default: all): imports, refresh, nochange, backfill, history")
    parser.add_argument("--write-only", action="store_true", help="only write results.md from earlier measurements")
    parser.add_argument("--history-from", metavar="YYYY-MM",
                        help="at scales above 1: refresh 2018-05 on the months from this one only (a shorter "
                             "history, when the backfill of 52 months does not fit in the time available)")
    parser.add_argument("--quiet-for", default="",
                        help="comma-separated command-line words (e.g. pytest): before each timed run, wait "
                             "(polling every 60 s) while another process with one of them runs")
    parser.add_argument("--reuse-states", action="store_true",
                        help="reuse prepared states even if the pipeline's code changed since they were made")
    args = parser.parse_args(argv)
    global REUSE_STATES
    REUSE_STATES = args.reuse_states
    QUIET_FOR[:] = [w for w in args.quiet_for.split(",") if w]
    if not args.write_only:
        figures = set(args.figures.split(","))
        print(f"benchmark session {SESSION}, load {load_average():.2f}", flush=True)
        if "imports" in figures:
            bench_imports(args.runs_1)
        for scale in (float(s) for s in args.scales.split(",")):
            scale = int(scale) if scale.is_integer() else scale
            runs = args.runs_1 if scale <= 1 else args.runs_100
            if "refresh" in figures:
                bench_refresh(scale, runs, history_from=args.history_from if scale > 1 else None)
            if "backfill" in figures or "nochange" in figures:  # no new data: after the backfill
                bench_backfill(scale, runs, nochange="nochange" in figures)
            if "history" in figures and scale == 1:
                bench_history(scale, runs)
    write_results()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers of the reliability tests: a workspace (raw/, warehouse, Dagster home, reports) with a
real `statmon` process, exports to compare, the bad deliveries, the kills, and the BSN scanner."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]
STATMON = PROJECT_DIR / ".venv" / "bin" / "statmon"
MONTHS = ("2017-12", "2018-01", "2018-02")
TEST_KEY = "reliability-suite-key-not-a-secret"
RUN_TIMEOUT = 900


@dataclass
class RunResult:
    args: list[str]
    rc: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (f"statmon {' '.join(self.args)} -> exit {self.rc} in {self.seconds:.0f} s\n"
                f"--- stdout (tail) ---\n{self.stdout[-4000:]}\n--- stderr (tail) ---\n{self.stderr[-6000:]}")


class Workspace:
    """One monitor installation in a folder: raw/, warehouse/ (+ published files), dagster_home/, reports/."""

    def __init__(self, root: Path):
        self.root = Path(root)
        for sub in ("warehouse", "dagster_home", "reports"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    raw = property(lambda self: self.root / "raw")
    warehouse = property(lambda self: self.root / "warehouse" / "monitor.duckdb")
    published_dir = property(lambda self: self.root / "warehouse")
    dagster_home = property(lambda self: self.root / "dagster_home")
    reports = property(lambda self: self.root / "reports")

    def env(self, **overrides: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STATMON_", "DAGSTER_"))}
        env.update(DAGSTER_HOME=str(self.dagster_home), STATMON_REPORTS_DIR=str(self.reports),
                   STATMON_PSEUDONYM_KEY=TEST_KEY, PYTHONUNBUFFERED="1",
                   STATMON_LOG_LEVEL="DEBUG")  # the kill tests watch for Dagster's STEP_START lines
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def command(self, subcommand: str, *args: str) -> list[str]:
        paths = ["--raw-dir", str(self.raw)] if subcommand in ("run", "retention") else []
        return [str(STATMON), subcommand, *paths, "--warehouse", str(self.warehouse), *args]

    def statmon(self, subcommand: str, *args: str, env: dict | None = None, timeout: int = RUN_TIMEOUT) -> RunResult:
        started = time.perf_counter()
        proc = subprocess.run(self.command(subcommand, *args), env=env or self.env(), cwd=self.root,
                              capture_output=True, text=True, timeout=timeout)
        return RunResult([subcommand, *args], proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)

    def run(self, *args: str, env: dict | None = None) -> RunResult:
        return self.statmon("run", *args, env=env)

    def copy(self, root: Path) -> "Workspace":
        shutil.copytree(self.root, root, symlinks=True, dirs_exist_ok=True)
        return Workspace(root)


# ---------------------------------------------------------------------------------------------
# Exports to compare

def _sorted_rows(con, relation: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {relation}").fetchall(), key=repr)


def export_marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of schema marts, rows sorted."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1").fetchall()]
        return {t: _sorted_rows(con, f"marts.{t}") for t in tables}
    finally:
        con.close()


# Published tables that say when and by which run something was published: they differ per run.
PUBLICATION_METADATA = ("publication_log",)


def export_published(out_dir: Path) -> dict[str, list[tuple]]:
    """Every data table of published.duckdb and every Parquet file of published/, rows sorted."""
    exported = {}
    con = duckdb.connect(str(out_dir / "published.duckdb"), read_only=True)
    try:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            if table not in PUBLICATION_METADATA:
                exported[f"duckdb:{table}"] = _sorted_rows(con, f'main."{table}"')
    finally:
        con.close()
    con = duckdb.connect()
    try:
        for path in sorted((out_dir / "published").glob("*.parquet")):
            if path.stem not in PUBLICATION_METADATA:
                exported[f"parquet:{path.stem}"] = _sorted_rows(con, f"read_parquet('{path}')")
    finally:
        con.close()
    return exported


LANDING_TABLES = ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten", "quarantine", "row_issues")


def snapshot_landing(warehouse: Path) -> dict[tuple[str, str, str], list[tuple]]:
    """Rows of the landing tables per (table, source, month), sorted."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        snapshot: dict = {}
        for table in LANDING_TABLES:
            for row in con.execute(f"SELECT source, strftime(delivery_month, '%Y-%m'), * FROM landing.{table}").fetchall():
                snapshot.setdefault((table, row[0], row[1]), []).append(row[2:])
        return {k: sorted(v, key=repr) for k, v in snapshot.items()}
    finally:
        con.close()


def published_through(out_dir: Path) -> str:
    con = duckdb.connect(str(out_dir / "published.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT strftime(months_to, '%Y-%m') FROM publication_log ORDER BY published_at DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Bad deliveries

def build_bad_month(demo: Path, raw: Path, month: str) -> dict[str, str]:
    """The month's demo deliveries with: trajecten_timnit.csv in Windows-1252 (an é where the
    registry expects UTF-8), an empty trajecten_uaf.csv, and beside the month a folder that is not
    a month and a folder for a month in the future. Returns what was broken."""
    shutil.copytree(demo / month, raw / month)
    timnit = raw / month / "trajecten_timnit.csv"
    lines = timnit.read_text(encoding="utf-8").splitlines(keepends=True)
    # the outcome typed in by hand, exported by a Windows program: 'Geëindigd' in cp1252
    fields = lines[1].split(";")
    fields[5] = "Geëindigd"
    lines[1] = ";".join(fields)
    timnit.write_bytes("".join(lines).encode("cp1252"))
    (raw / month / "trajecten_uaf.csv").write_bytes(b"")
    (raw / "maart 2018").mkdir()
    shutil.copy(demo / month / "uitkeringen.csv", raw / "maart 2018" / "uitkeringen.csv")
    (raw / "2099-01").mkdir()
    shutil.copy(demo / month / "uitkeringen.csv", raw / "2099-01" / "uitkeringen.csv")
    return {"wrong_encoding": "trajecten_timnit", "empty": "trajecten_uaf",
            "not_a_month": "maart 2018", "future": "2099-01"}


def build_broken_benefits_month(demo: Path, raw: Path, month: str) -> dict[str, str]:
    """The month's demo deliveries, but uitkeringen.csv without the required column
    aanvangsdatum_uitkering (an export made with the wrong column selection)."""
    shutil.copytree(demo / month, raw / month)
    path = raw / month / "uitkeringen.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    drop = rows[0].index("aanvangsdatum_uitkering")
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return {"missing_column": "aanvangsdatum_uitkering"}


# ---------------------------------------------------------------------------------------------
# Kills

@dataclass
class KillResult:
    phase: str
    seen: str                 # what told us the phase had started
    seconds: float            # from start to kill
    published_before: bytes
    published_export_before: dict
    tree_at_kill: list[str]   # the process group's command lines at the moment of the kill
    rc: int | None


def _group_commands(pgid: int) -> list[str]:
    commands = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != pgid:
                continue
            commands.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip())
        except (OSError, ProcessLookupError):
            continue
    return commands


def _phase_started(phase: str, ws: Workspace, output: Path, pgid: int) -> str | None:
    """What shows that `phase` is under way, or None. Ingestion and dbt: the Dagster event log
    lines the run prints, and for dbt also a `dbt build` child process; publication: a temporary
    file of the publication in the published folder."""
    if phase == "ingestion":
        text = output.read_text(errors="replace")
        marker = 'STEP_START - Started execution of step "landing__trajecten"'
        return marker if marker in text else None
    if phase == "dbt":
        # the `dbt build` subprocess dagster-dbt starts
        if any(" build " in c and "/dbt" in c for c in _group_commands(pgid)):
            text = output.read_text(errors="replace")
            # wait until dbt is writing models, not just starting
            if re.search(r"OK created sql (table|incremental) model", text):
                return "dbt build child process writing models"
        return None
    if phase == "publication":
        names = [p.name for p in ws.published_dir.iterdir()]
        versions = ws.published_dir / ".published-versions"
        if versions.is_dir():
            names += [p.name for p in versions.iterdir()]
        temp = [n for n in names if ".tmp-" in n and "lock" not in n]
        return f"temporary publication file {temp[0]}" if temp else None
    raise ValueError(phase)


def kill_run_when(ws: Workspace, phase: str, timeout: float = RUN_TIMEOUT) -> KillResult:
    """Start `statmon run --month <last>` and SIGKILL its whole process group (the run and its
    dbt child, as a stopped job or an OOM kill of the container would) once `phase` is under way."""
    published = ws.published_dir / "published.duckdb"
    before_bytes = published.read_bytes()
    before_export = export_published(ws.published_dir)
    output = ws.root / f"kill_{phase}.log"
    started = time.perf_counter()
    with open(output, "w") as sink:
        proc = subprocess.Popen(ws.command("run", "--month", MONTHS[-1]), env=ws.env(), cwd=ws.root,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        seen, tree = None, []
        try:
            while time.perf_counter() - started < timeout and proc.poll() is None:
                seen = _phase_started(phase, ws, output, proc.pid)
                if seen:
                    tree = _group_commands(proc.pid)
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.002 if phase == "publication" else 0.05)
        finally:
            if proc.poll() is None and not seen:
                os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
    if not seen:
        raise AssertionError(f"the run ended (exit {rc}) before {phase} could be caught:\n"
                             f"{output.read_text(errors='replace')[-3000:]}")
    # every process of the group is gone before the test looks at the files
    deadline = time.time() + 30
    while _group_commands(proc.pid) and time.time() < deadline:
        time.sleep(0.1)
    return KillResult(phase, seen, time.perf_counter() - started, before_bytes, before_export, tree, rc)


def count_rows_read_write(warehouse: Path) -> int:
    """Open the warehouse for writing (DuckDB replays or discards its WAL) and count landing rows."""
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute("SELECT (SELECT count(*) FROM landing.deliveries) + (SELECT count(*) FROM landing.uitkeringen)").fetchone()[0]
    finally:
        con.close()


def run_lock_is_free(ws: Workspace) -> bool:
    """Can the run lock of orchestration/run.py be taken right now (without waiting)?"""
    import fcntl

    lock = ws.warehouse.parent / f".{ws.warehouse.name}.run.lock"
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


# ---------------------------------------------------------------------------------------------
# BSNs

BSN_HEADERS = {"bsn", "burgerservicenummer"}
DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{8,9}(?![0-9])")


def _bsn_columns_csv(data: bytes) -> list[str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return []
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return []
    positions = [i for i, name in enumerate(rows[0]) if name.strip().lower() in BSN_HEADERS]
    return [row[i] for row in rows[1:] for i in positions if i < len(row)]


def _bsn_columns_xlsx(path: Path) -> list[str]:
    import openpyxl

    values = []
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None) or ()
            positions = [i for i, name in enumerate(header) if str(name or "").strip().lower() in BSN_HEADERS]
            for row in rows:
                values += [str(row[i]) for i in positions if i < len(row) and row[i] is not None]
    finally:
        workbook.close()
    return values


def collect_bsns(raw: Path) -> set[str]:
    """Every BSN value delivered in raw/ (valid or not), in the forms it could be stored in:
    9 digits, and 8 digits when the 9-digit form starts with a zero."""
    forms: set[str] = set()
    for path in raw.rglob("*"):
        if path.suffix == ".csv":
            values = _bsn_columns_csv(path.read_bytes())
        elif path.suffix == ".xlsx":
            values = _bsn_columns_xlsx(path)
        else:
            continue
        for value in values:
            value = value.strip().replace("\u00a0", "")
            if value.endswith(".0"):  # a number cell in a workbook
                value = value[:-2]
            if value.isdigit() and len(value) in (8, 9):
                nine = value.zfill(9)
                forms.add(nine)
                if nine.startswith("0"):
                    forms.add(nine[1:])
    return forms


def bsns_in_text(text: str, bsns: set[str]) -> set[str]:
    return {m for m in DIGIT_RUN.findall(text) if m in bsns}


def scan_duckdb(path: Path, bsns: set[str], skip_columns: set[tuple[str, str, str]] = frozenset()) -> dict[str, set[str]]:
    """BSNs found per schema.table.column, over every column (cast to text) of every base table."""
    found: dict[str, set[str]] = {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            """SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
               WHERE t.table_type = 'BASE TABLE' ORDER BY 1, 2, c.ordinal_position""").fetchall()
        for schema, table, column in columns:
            if (schema, table, column) in skip_columns:
                continue
            text = con.execute(
                f'SELECT string_agg(CAST("{column}" AS VARCHAR), chr(10)) FROM "{schema}"."{table}"').fetchone()[0]
            hits = bsns_in_text(text or "", bsns)
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    finally:
        con.close()
    return found


def scan_parquet(path: Path, bsns: set[str]) -> set[str]:
    con = duckdb.connect()
    try:
        rows = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    finally:
        con.close()
    return bsns_in_text("\n".join(repr(r) for r in rows), bsns)


def scan_sqlite(path: Path, bsns: set[str]) -> set[str]:
    """Every text and blob value of every table of a SQLite database (Dagster's event log)."""
    found: set[str] = set()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    if isinstance(value, str):
                        found |= bsns_in_text(value, bsns)
    finally:
        con.close()
    return found


def scan_file(path: Path, bsns: set[str]) -> set[str]:
    """A text file, or every member of a ZIP container (xlsx)."""
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        found: set[str] = set()
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                found |= bsns_in_text(archive.read(name).decode("utf-8", errors="replace"), bsns)
        return found
    return bsns_in_text(data.decode("utf-8", errors="replace"), bsns)


# ---------------------------------------------------------------------------------------------
# A month's state follows raw/ (chain `state`, tests/reliability/test_month_state_runs.py)

STATE_RULES = ("benefits_delivery_unusable", "delivery_failed", "delivery_missing", "delivery_file_gone")


def save_with_comma_delimiter(path: Path) -> None:
    """The file as a steward re-saves it in a program that writes `,` as delimiter (newer mtime)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    out = io.StringIO()
    csv.writer(out, delimiter=",", lineterminator="\n").writerows(rows)
    mtime = path.stat().st_mtime
    path.write_text(out.getvalue(), encoding="utf-8")
    os.utime(path, (mtime + 86400, mtime + 86400))


def delivery_issues(warehouse: Path) -> list[tuple]:
    """The delivery rules' rows of marts.dq_issues: (rule_id, severity, record_key, status, detail)."""
    return query(warehouse, f"""SELECT rule_id, severity, record_key, status, detail FROM marts.dq_issues
                               WHERE rule_id IN {STATE_RULES} ORDER BY 1, 3""")


def worklist_rows(ws: Workspace, out_dir: Path) -> list[dict]:
    """`statmon dq --format csv` on the published stewards' file: the rows a steward works through."""
    result = ws.statmon("dq", "--format", "csv", "--out", str(out_dir),
                        "--warehouse", str(ws.published_dir / "stewards.duckdb"))
    assert result.rc == 0, result.describe()
    text = (out_dir / "dq_worklist_all.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def month_state_chain(ws: Workspace, demo: Path, steps: dict) -> None:
    """On a copy of the good run (2017-12..2018-02 loaded and published):
    corrupt:  2018-02/uitkeringen.csv replaced by a copy saved with `,` as delimiter; --month 2018-02;
    restored: the original put back byte-identical, and 2018-03/ with the partner files only; all months;
    moved:    2018-01/klantbeeld.csv removed, 2017-12/uitkeringen.csv also delivered as
              uitkeringen_kopie.csv (identical, newer), and the folder 2018-02/ renamed 2018-04/
              (a month not delivered yet); all months."""
    month = MONTHS[-1]
    benefits = ws.raw / month / "uitkeringen.csv"
    original = benefits.read_bytes()
    steps["landing_before"] = snapshot_landing(ws.warehouse)

    save_with_comma_delimiter(benefits)
    steps["corrupt"] = ws.run("--month", month)
    steps["landing_after_corrupt"] = snapshot_landing(ws.warehouse)
    steps["published_after_corrupt"] = export_published(ws.published_dir)
    steps["issues_after_corrupt"] = delivery_issues(ws.warehouse)
    steps["worklist_after_corrupt"] = worklist_rows(ws, ws.root / "dq_corrupt")

    benefits.write_bytes(original)
    (ws.raw / "2018-03").mkdir()
    for path in sorted((demo / "2018-03").glob("trajecten_*")):
        shutil.copy2(path, ws.raw / "2018-03" / path.name)
    steps["restored"] = ws.run()
    steps["published_after_restored"] = export_published(ws.published_dir)
    steps["issues_after_restored"] = delivery_issues(ws.warehouse)
    steps["worklist_after_restored"] = worklist_rows(ws, ws.root / "dq_restored")
    steps["benefits_attempts"] = query(ws.warehouse, """SELECT status FROM landing.deliveries WHERE source = 'uitkeringen'
                                                        AND strftime(delivery_month, '%Y-%m') = ? ORDER BY loaded_at""", [month])

    (ws.raw / "2018-01" / "klantbeeld.csv").unlink()
    copy = ws.raw / "2017-12" / "uitkeringen_kopie.csv"
    shutil.copy(ws.raw / "2017-12" / "uitkeringen.csv", copy)
    os.utime(copy, (time.time(), time.time()))
    (ws.raw / month).rename(ws.raw / "2018-04")
    steps["moved"] = ws.run()
    steps["landing_after_moved"] = snapshot_landing(ws.warehouse)
    steps["published_after_moved"] = export_published(ws.published_dir)
    steps["issues_after_moved"] = delivery_issues(ws.warehouse)

"""Publication of the aggregate marts for BI tools, and of the stewards' file.

Layout of ``out_dir`` (by default the warehouse's folder):

    published.duckdb                   the aggregate marts, suppressed, + publication_log, revisions,
                                       suppression_relations; readers open it read-only
    published -> .published-versions/<publication_id>/   symlink to the current Parquet folder
    .published-versions/<id>/<table>.parquet              one folder per publication (last 3 kept)
    stewards.duckdb                    dq_issues + quarantine (pseudonyms, no BSN) + initiative_effect_population
                                       + publication_log
    .publish.lock                      serialises publishers (never taken by readers)

Order of a publication: read the marts, suppress, build ``.published.duckdb.tmp-<id>`` completely,
close and fsync it, write the Parquet folder ``.published-versions/<id>.tmp-`` and rename it to
``<id>``, then switch: ``os.replace`` the DuckDB file, then swap the symlink. Anything that fails
or is killed before the switch leaves only temp files (removed by the next publication) and the
last good publication untouched.
"""
from __future__ import annotations

import contextlib
import json
import logging
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.db import table_exists

from . import atomic
from .descriptions import comment_log_tables, comment_published_tables
from .suppression import apply_suppression, describe_relations, _key_text
from .tables import MART_TABLES, PUBLISHED_TABLES, TABLES_BY_NAME, PublishedTable

log = logging.getLogger(__name__)

PUBLISHED_FILE = "published.duckdb"
PARQUET_LINK = "published"
PARQUET_VERSIONS = ".published-versions"
STEWARDS_FILE = "stewards.duckdb"
KEEP_PARQUET_VERSIONS = 3  # old folders stay a while for readers that resolved the link before a switch


@dataclass
class PublicationResult:
    """What one publication wrote."""
    publication_id: str
    published_at: datetime
    published_file: Path
    parquet_dir: Path | None
    months_from: date | None
    months_to: date | None
    run_id: str | None
    row_counts: dict[str, int] = field(default_factory=dict)
    suppressed_cells: dict[str, int] = field(default_factory=dict)
    revisions: int = 0
    unprotectable_cells: int = 0

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed_cells.values())


def parse_month(value: str | date | None) -> date | None:
    """'2018-05' (or a date, or '2018-05-31') -> date(2018, 5, 1)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value).strip()
    try:
        parsed = datetime.strptime(text[:7], "%Y-%m")
    except ValueError as exc:
        raise ValueError(f"not a month (YYYY-MM): {value!r}") from exc
    return parsed.date()


@contextlib.contextmanager
def _warehouse(warehouse: Path, con):
    """The caller's open connection (inside a Dagster run), or a read-only one of our own."""
    if con is not None:
        yield con
        return
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse}")
    own = duckdb.connect(str(warehouse), read_only=True)
    try:
        yield own
    finally:
        own.close()


def _read_marts(con, through: date | None) -> dict[str, pd.DataFrame]:
    frames = {}
    for spec in MART_TABLES:
        columns = ", ".join(f'{spec.read_sql(c.name)} AS "{c.name}"' for c in spec.columns)
        conditions = ([] if through is None else [f"({spec.period_sql}) <= DATE '{through.isoformat()}'"]) \
            + ([f"({spec.read_where})"] if spec.read_where else [])
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        order = ", ".join(f'"{k}"' for k in spec.keys)
        schema, table = spec.source_relation.split(".")
        if spec.source is not None and not con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, table]).fetchall()[0][0]:
            # a reference table (a dbt seed) this warehouse has not built yet: publish it empty
            log.warning("%s not found in the warehouse: %s published empty", spec.source_relation, spec.name)
            frames[spec.name] = pd.DataFrame({c.name: pd.Series(dtype="object") for c in spec.columns})
            continue
        df = con.execute(f"SELECT {columns} FROM {spec.source_relation} {where} ORDER BY {order}").df()
        for c in spec.columns:
            if c.kind == "count":
                df[c.name] = df[c.name].astype("Int64")
            elif c.sql_type == "DOUBLE":
                df[c.name] = df[c.name].astype("Float64")
        frames[spec.name] = df
    return _derive(frames)


def _derive(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Add the derived tables (year totals), aggregated from the exact mart frames."""
    local = duckdb.connect()
    try:
        for name, df in frames.items():
            local.register(name, df)
        for spec in PUBLISHED_TABLES:
            if spec.derived_sql is not None:
                order = ", ".join(f'"{k}"' for k in spec.keys)
                df = local.execute(f"SELECT * FROM ({spec.derived_sql}) ORDER BY {order}").df()
                for c in spec.counts:
                    df[c] = df[c].astype("Int64")
                frames[spec.name] = df
    finally:
        local.close()
    return frames


def _months_covered(frames: dict[str, pd.DataFrame], through: date | None) -> tuple[date | None, date | None]:
    months = []
    for spec in PUBLISHED_TABLES:
        if spec.period_sql in spec.keys and len(frames[spec.name]):
            months.extend(pd.to_datetime(frames[spec.name][spec.period_sql]).dt.date)
    if not months:
        return None, through
    return min(months), through or max(months)


def _previous(published: Path) -> dict[str, pd.DataFrame] | None:
    """The tables of the current publication (for revisions and what readers already know)."""
    if not published.exists():
        return None
    try:
        con = duckdb.connect(str(published), read_only=True)
    except duckdb.Error as exc:  # unreadable: publish afresh, but say so
        log.warning("previous publication %s unreadable (%s): no revisions computed", published, exc)
        return None
    try:
        existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {name: con.execute(f'SELECT * FROM "{name}"').df() for name in existing}
    finally:
        con.close()


def _already_public(previous: dict[str, pd.DataFrame] | None, frames: dict[str, pd.DataFrame]) -> set:
    """(table, key, column) of figures the previous publication showed with today's value."""
    public: set = set()
    if not previous:
        return public
    for spec in PUBLISHED_TABLES:
        old = previous.get(spec.name)
        if old is None or len(old) == 0:
            continue
        new = frames[spec.name]
        old_position = {tuple(_key_text(v) for v in k): i
                        for i, k in enumerate(old[spec.keys].itertuples(index=False, name=None))}
        matched = [(i, old_position[key], key) for i, key in enumerate(
            tuple(_key_text(v) for v in k) for k in new[spec.keys].itertuples(index=False, name=None))
            if key in old_position]
        if not matched:
            continue
        new_rows, old_rows, keys = (list(part) for part in zip(*matched))
        for column in spec.counts:
            flag = f"{column}_suppressed"
            if column not in old.columns or flag not in old.columns:
                continue
            # whole columns at once (a value per cell through .at cost ~0.3 s per publication)
            old_values = old[column].to_numpy(dtype=float, na_value=np.nan)[old_rows]
            new_values = new[column].to_numpy(dtype=float, na_value=np.nan)[new_rows]
            shown = ~old[flag].to_numpy(dtype=bool)[old_rows]
            same = shown & ~np.isnan(old_values) & ~np.isnan(new_values) & (old_values == new_values)
            public.update((spec.name, keys[n], column) for n in np.flatnonzero(same))
    return public


def _value_text(spec: PublishedTable, column: str) -> str:
    kind_type = next(c.sql_type for c in spec.columns if c.name == column)
    value = f'CAST(round("{column}", 4) AS VARCHAR)' if kind_type == "DOUBLE" else f'CAST("{column}" AS VARCHAR)'
    if column in spec.flagged:
        return f"""CASE WHEN "{column}_suppressed" THEN 'suppressed' ELSE {value} END"""
    return value


def _long_sql(spec: PublishedTable, relation: str, columns: set[str], months_to) -> str:
    """One row per (period, row_key, column, value). A row's period is capped at the last month
    the publication covers: a year total of the current year then counts as of that month, so it
    is compared (and a change listed as a revision) when both publications cover the same months,
    and not while the year is still filling up."""
    # keys cast to their contract type first: a DATE read back through pandas is a timestamp
    key_types = {c.name: c.sql_type for c in spec.columns if c.kind == "key"}
    row_key = "concat_ws(', ', " + ", ".join(
        f"""'{k}=' || CAST(CAST("{k}" AS {t}) AS VARCHAR)""" for k, t in key_types.items()) + ")"
    period = f"least(({spec.period_sql})::DATE, DATE '{pd.Timestamp(months_to).date().isoformat()}')"
    parts = [f"""SELECT {period} AS period, {row_key} AS row_key, '{c}' AS column_name,
                       {_value_text(spec, c)} AS value FROM {relation}"""
             for c in spec.values if c in columns and (c not in spec.flagged or f"{c}_suppressed" in columns)]
    return "\nUNION ALL\n".join(parts)


def _write_published(path: Path, outcome_frames, previous, publication_id, published_at, months, run_id,
                     suppressed_cells, unprotectable, redeliveries: pd.DataFrame | None = None
                     ) -> tuple[dict[str, int], int]:
    """Build the complete published file at ``path`` (a temp name); returns row counts, revisions."""
    con = duckdb.connect(str(path))
    try:
        row_counts = {}
        for spec in PUBLISHED_TABLES:
            df = outcome_frames[spec.name]
            con.register("frame", df)
            select = ", ".join(f'CAST("{name}" AS {sql_type}) AS "{name}"' for name, sql_type in spec.published_columns())
            order = ", ".join(f'"{k}"' for k in spec.keys)
            con.execute(f'CREATE TABLE "{spec.name}" AS SELECT {select} FROM frame ORDER BY {order}')
            con.unregister("frame")
            row_counts[spec.name] = len(df)
        comment_published_tables(con, PUBLISHED_TABLES)

        con.execute("""CREATE TABLE revisions (publication_id VARCHAR, published_at TIMESTAMP, table_name VARCHAR,
                       row_key VARCHAR, column_name VARCHAR, old_value VARCHAR, new_value VARCHAR)""")
        prev_log = previous.get("publication_log") if previous else None
        prev_to = None
        if prev_log is not None and len(prev_log):
            prev_to = prev_log.sort_values("published_at")["months_to"].iloc[-1]
            prev_to = None if pd.isna(prev_to) else pd.Timestamp(prev_to).date()
        new_to = months[1]
        revisions = 0
        if previous and prev_to is not None and new_to is not None:
            window = min(prev_to, new_to)
            for spec in PUBLISHED_TABLES:
                old = previous.get(spec.name)
                if old is None:
                    continue
                con.register("old_frame", old)
                con.execute(f"""
                    INSERT INTO revisions
                    WITH new AS ({_long_sql(spec, f'"{spec.name}"', set(TABLES_BY_NAME[spec.name].values) | {f"{c}_suppressed" for c in spec.flagged}, new_to)}),
                         old AS ({_long_sql(spec, 'old_frame', set(old.columns), prev_to)})
                    SELECT ?, ?, '{spec.name}', coalesce(new.row_key, old.row_key),
                           coalesce(new.column_name, old.column_name), old.value, new.value
                    FROM new FULL OUTER JOIN old
                      ON new.row_key = old.row_key AND new.column_name = old.column_name
                    WHERE new.value IS DISTINCT FROM old.value
                      AND coalesce(new.period, old.period) <= ?
                    ORDER BY 4, 5""", [publication_id, published_at.replace(tzinfo=None), window])
                con.unregister("old_frame")
            # fetchall: DuckDB 2.0 refuses con.register() below while a fetchone() result is open
            revisions = con.execute("SELECT count(*) FROM revisions").fetchall()[0][0]
        old_revisions = previous.get("revisions") if previous else None
        if old_revisions is not None and len(old_revisions):
            con.register("old_revisions", old_revisions)
            con.execute("INSERT INTO revisions SELECT publication_id, published_at, table_name, row_key, "
                        "column_name, old_value, new_value FROM old_revisions")
            con.unregister("old_revisions")

        _write_revision_deliveries(con, previous, redeliveries, publication_id)
        _write_log(con, prev_log, publication_id, published_at, months, run_id, row_counts,
                   sum(suppressed_cells.values()), revisions, unprotectable)
        con.execute("CREATE TABLE suppression_relations (relation VARCHAR)")
        con.executemany("INSERT INTO suppression_relations VALUES (?)", [[d] for d in describe_relations()])
        comment_log_tables(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return row_counts, revisions


def _redeliveries(wh, previous: dict[str, pd.DataFrame] | None) -> pd.DataFrame | None:
    """Files loaded since the previous publication for months it already covered: re-deliveries
    and late deliveries, the reasons earlier figures change (with a statushouder status that a
    later BRP title repairs backwards). None when there is no previous publication."""
    log_frame = previous.get("publication_log") if previous else None
    if log_frame is None or not len(log_frame):
        return None
    last = log_frame.sort_values("published_at").iloc[-1]
    if pd.isna(last["months_to"]):
        return None
    # published_at is UTC; landing.deliveries.loaded_at is the warehouse session's local time
    since = pd.Timestamp(last["published_at"]).tz_localize("UTC").tz_convert(
        datetime.now().astimezone().tzinfo).tz_localize(None).to_pydatetime()
    exists = wh.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'landing' "
                        "AND table_name = 'deliveries'").fetchall()[0][0]
    if not exists:
        return None
    return wh.execute("""
        SELECT delivery_month, source, count(*)::INTEGER AS files
        FROM landing.deliveries
        WHERE status = 'loaded' AND loaded_at > ? AND delivery_month <= ?
        GROUP BY ALL ORDER BY 1, 2""", [since, pd.Timestamp(last["months_to"]).date()]).df()


def _write_revision_deliveries(con, previous, redeliveries: pd.DataFrame | None, publication_id: str) -> None:
    """``revision_deliveries``: per publication, the months it covered before that were delivered
    again (or late) since, per source; kept across publications like ``revisions``."""
    con.execute("""CREATE TABLE revision_deliveries (publication_id VARCHAR, delivery_month DATE,
                   source VARCHAR, files INTEGER)""")
    old = previous.get("revision_deliveries") if previous else None
    if old is not None and len(old):
        con.register("old_frame", old)
        con.execute("INSERT INTO revision_deliveries SELECT publication_id, delivery_month, source, files FROM old_frame")
        con.unregister("old_frame")
    if redeliveries is not None and len(redeliveries):
        con.register("frame", redeliveries)
        con.execute("INSERT INTO revision_deliveries SELECT ?, delivery_month, source, files FROM frame",
                    [publication_id])
        con.unregister("frame")


def _write_log(con, prev_log, publication_id, published_at, months, run_id, row_counts,
               suppressed, revisions, unprotectable) -> None:
    con.execute("""CREATE TABLE publication_log (publication_id VARCHAR, published_at TIMESTAMP,
                   months_from DATE, months_to DATE, run_id VARCHAR, row_counts VARCHAR,
                   suppressed_cells INTEGER, revisions INTEGER, unprotectable_cells INTEGER)""")
    if prev_log is not None and len(prev_log):
        con.register("prev_log", prev_log)
        existing = set(prev_log.columns)
        cols = ["publication_id", "published_at", "months_from", "months_to", "run_id", "row_counts",
                "suppressed_cells", "revisions", "unprotectable_cells"]
        select = ", ".join(c if c in existing else "NULL" for c in cols)
        con.execute(f"INSERT INTO publication_log SELECT {select} FROM prev_log")
        con.unregister("prev_log")
    con.execute("INSERT INTO publication_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [publication_id, published_at.replace(tzinfo=None), months[0], months[1], run_id,
                 json.dumps(row_counts, sort_keys=True), suppressed, revisions, unprotectable])


def _write_parquet(published_tmp: Path, versions: Path, publication_id: str) -> Path:
    """Every table of the (complete, closed) temp file as Parquet in a new version folder."""
    versions.mkdir(parents=True, exist_ok=True)
    partial = versions / f"{publication_id}{atomic.TEMP_MARK}parquet"
    partial.mkdir()
    con = duckdb.connect(str(published_tmp), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        for table in tables:
            target = partial / f"{table}.parquet"
            con.execute(f"COPY \"{table}\" TO '{target}' (FORMAT parquet)")
            atomic.fsync_file(target)
    finally:
        con.close()
    atomic.fsync_dir(partial)
    final = versions / publication_id
    partial.rename(final)
    atomic.fsync_dir(versions)
    return final


def _switch(temp_file: Path, published: Path, parquet_link: Path | None, version_name: str | None) -> None:
    """The only step readers can notice: two atomic renames (DuckDB file, then Parquet link)."""
    atomic.replace_file(temp_file, published)
    if parquet_link is not None and version_name is not None:
        atomic.switch_symlink(parquet_link, f"{PARQUET_VERSIONS}/{version_name}")


def _prune_versions(out_dir: Path) -> None:
    versions = out_dir / PARQUET_VERSIONS
    link = out_dir / PARQUET_LINK
    current = Path(link.readlink()).name if link.is_symlink() else None
    folders = sorted(p for p in versions.iterdir() if p.is_dir() and atomic.TEMP_MARK not in p.name)
    for old in folders[:-KEEP_PARQUET_VERSIONS]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def _new_publication_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:6]}"


def publish(warehouse: Path, out_dir: Path, through_month: str | None, con=None, *,
            run_id: str | None = None, parquet: bool = True) -> PublicationResult:
    """Publish the aggregate marts up to ``through_month`` ('YYYY-MM'; None = every month).

    ``con``: the warehouse connection of the running process (a Dagster run holds the only write
    connection); without it the warehouse is opened read-only.
    """
    out_dir = Path(out_dir)
    through = parse_month(through_month)
    with atomic.publisher_lock(out_dir):
        atomic.remove_leftovers(out_dir, (PUBLISHED_FILE, PARQUET_LINK))
        versions = out_dir / PARQUET_VERSIONS  # ours alone: every unfinished folder goes
        for partial in (versions.iterdir() if versions.exists() else ()):
            if atomic.TEMP_MARK in partial.name:
                shutil.rmtree(partial, ignore_errors=True)
        published = out_dir / PUBLISHED_FILE
        previous = _previous(published)
        with _warehouse(Path(warehouse), con) as wh:
            frames = _read_marts(wh, through)
            redeliveries = _redeliveries(wh, previous)
        months = _months_covered(frames, through)
        outcome = apply_suppression(frames, already_public=_already_public(previous, frames))
        suppressed_cells = {spec.name: outcome.suppressed_cells(spec.name) for spec in PUBLISHED_TABLES}

        published_at = datetime.now(timezone.utc)
        publication_id = _new_publication_id(published_at)
        temp_file = out_dir / f".{PUBLISHED_FILE}{atomic.TEMP_MARK}{publication_id}"
        row_counts, revisions = _write_published(
            temp_file, outcome.frames, previous, publication_id, published_at, months, run_id,
            suppressed_cells, len(outcome.unprotectable), redeliveries)
        if temp_file.with_name(temp_file.name + ".wal").exists():
            raise RuntimeError(f"{temp_file}.wal left behind: the temp file is not self-contained")
        version = _write_parquet(temp_file, out_dir / PARQUET_VERSIONS, publication_id) if parquet else None
        _switch(temp_file, published, out_dir / PARQUET_LINK if parquet else None,
                version.name if version else None)
        if parquet:
            _prune_versions(out_dir)
    log.info("published %s: months %s..%s, %d suppressed cells, %d revisions", publication_id,
             months[0], months[1], sum(suppressed_cells.values()), revisions)
    return PublicationResult(publication_id, published_at, published, out_dir / PARQUET_LINK if parquet else None,
                             months[0], months[1], run_id, row_counts, suppressed_cells, revisions,
                             len(outcome.unprotectable))


def publish_stewards(warehouse: Path, out_dir: Path, con=None, *, run_id: str | None = None) -> PublicationResult:
    """The stewards' file: marts.dq_issues and landing.quarantine, every month (stewards need
    the issues of unpublishable months most), and marts.initiative_effect_population: who each
    initiative's rendement is about and why the other starters are not in it (counts, unsuppressed,
    so stewards see every start left out of the estimate; not published for BI, docs/rendement.md).
    Pseudonyms and source record ids only: the quarantine already masks a rejected BSN to its last
    3 digits, and a 8-9 digit value in a BSN column is masked here again in case it was not."""
    out_dir = Path(out_dir)
    with atomic.publisher_lock(out_dir):
        atomic.remove_leftovers(out_dir, (STEWARDS_FILE,))
        with _warehouse(Path(warehouse), con) as wh:
            issues = wh.execute("SELECT * FROM marts.dq_issues ORDER BY rule_id, record_key").df()
            quarantine = wh.execute("""
                SELECT * REPLACE (CASE WHEN column_name ILIKE '%bsn%' AND regexp_full_match(trim(value), '[0-9]{8,9}')
                                       THEN '******' || right(trim(value), 3) ELSE value END AS value)
                FROM landing.quarantine ORDER BY delivery_month, source, source_file, row_number""").df()
            tables = {"dq_issues": issues, "quarantine": quarantine}
            if table_exists(wh, "marts", "initiative_effect_population"):  # absent before the rendement
                tables["initiative_effect_population"] = wh.execute(
                    "SELECT * FROM marts.initiative_effect_population ORDER BY ALL").df()
        target = out_dir / STEWARDS_FILE
        previous = _previous(target)
        published_at = datetime.now(timezone.utc)
        publication_id = _new_publication_id(published_at)
        temp_file = out_dir / f".{STEWARDS_FILE}{atomic.TEMP_MARK}{publication_id}"
        months: tuple[date | None, date | None] = (None, None)
        if len(issues):
            months = (pd.Timestamp(issues["first_seen_month"].min()).date(),
                      pd.Timestamp(issues["last_seen_month"].max()).date())
        row_counts = {name: len(df) for name, df in tables.items()}
        con_out = duckdb.connect(str(temp_file))
        try:
            for name, df in tables.items():
                con_out.register("frame", df)
                con_out.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
                con_out.unregister("frame")
            _write_log(con_out, previous.get("publication_log") if previous else None, publication_id,
                       published_at, months, run_id, row_counts, 0, 0, 0)
            con_out.execute("CHECKPOINT")
        finally:
            con_out.close()
        atomic.replace_file(temp_file, target)
    return PublicationResult(publication_id, published_at, target, None, months[0], months[1], run_id, row_counts)

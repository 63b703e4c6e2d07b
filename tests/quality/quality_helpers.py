"""Fixtures for the data-quality tests: a real DuckDB warehouse file with the landing schema
(orchestration/sources/landing.sql) and helpers that land rows the way ingestion does."""
from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pytest

from orchestration.db import ensure_landing_schema


def pid(n: int) -> str:
    """A stable fake pseudonym (32 hex) for person n."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()[:32]


def first_day(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_landing_schema(connection)
    yield connection
    connection.close()


def add_delivery(con, month: str, source: str, status: str = "loaded", message: str | None = None,
                 loaded_at: dt.datetime | None = None, file_name: str | None = None) -> None:
    """A delivery as ingestion records it: a row of the history (landing.deliveries) and, unless
    superseded, what raw/ now holds for the source and month (landing.raw_state)."""
    path = f"{month}/{file_name or source + '.csv'}"
    con.execute(
        "INSERT INTO landing.deliveries VALUES (?, ?, ?, 'hash', 100, ?, NULL, NULL, NULL, ?, ?)",
        [first_day(month), source, path, status, message, loaded_at or dt.datetime.now()],
    )
    if status != "superseded":
        observe(con, month, source, status, message, path)


def observe(con, month: str, source: str, status: str = "absent", message: str | None = None,
            path: str | None = None) -> None:
    """What a run found in raw/<month>/ for a source (landing.raw_state): a file and what became of
    it, or `absent`."""
    con.execute("DELETE FROM landing.raw_state WHERE delivery_month = ? AND source = ?", [first_day(month), source])
    con.execute("INSERT INTO landing.raw_state VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                [first_day(month), source, None if status == "absent" else path,
                 None if status == "absent" else "hash", 0 if status == "absent" else 1, status, message])


def add_benefits(con, month: str, persons: range, duplicate_ids: int = 0) -> None:
    """Land one benefit row per person of `persons`; each of the first `duplicate_ids` rows reuses
    the registratienummer of the row `duplicate_ids` places later (that many duplicated ids)."""
    con.execute(
        """INSERT INTO landing.uitkeringen
           SELECT ?::DATE, year(?::DATE), month(?::DATE),
                  'UK' || CASE WHEN i < ? THEN i + ? ELSE i END, '01', p, DATE '1990-01-01', '1', '1',
                  DATE '2016-01-01', NULL, NULL, 'J', 'km1', 'uitkeringen', ? || '/uitkeringen.csv', 'hash',
                  row_number() OVER ()
           FROM (SELECT unnest(?::VARCHAR[]) AS p, unnest(?::INTEGER[]) AS i)""",
        [first_day(month), first_day(month), first_day(month), persons.start + duplicate_ids, duplicate_ids, month,
         [pid(n) for n in persons], list(persons)],
    )
    add_delivery(con, month, "uitkeringen")


def add_simple(con, kind: str, month: str, rows: int) -> None:
    """Land `rows` rows of brp, klantbeeld or formatie for a month."""
    d = first_day(month)
    if kind == "brp":
        con.execute(
            """INSERT INTO landing.brp SELECT ?::DATE, md5(i::VARCHAR)[1:32], NULL, NULL, 'M', 'SYR', '26', NULL, NULL,
               NULL, NULL, 'brp', ? || '/brp.csv', 'hash', i FROM range(1, ? + 1) t(i)""", [d, month, rows])
    elif kind == "klantbeeld":
        con.execute(
            """INSERT INTO landing.klantbeeld SELECT ?::DATE, md5(i::VARCHAR)[1:32], 'km1', NULL, NULL, NULL, NULL, NULL,
               'klantbeeld', ? || '/klantbeeld.csv', 'hash', i FROM range(1, ? + 1) t(i)""", [d, month, rows])
    elif kind == "formatie":
        con.execute(
            """INSERT INTO landing.formatie SELECT ?::DATE, ?::DATE, 'statushouders', 'km' || i, 1.0,
               'formatie', ? || '/formatie.csv', 'hash', i FROM range(1, ? + 1) t(i)""", [d, d, month, rows])
    add_delivery(con, month, kind)


def add_trajectories(con, month: str, partner: str, person_numbers: list[int], initiatief: str = "UAF",
                     aanmelddatum: str = "2018-01-15") -> None:
    con.execute(
        """INSERT INTO landing.trajecten
           SELECT ?::DATE, ?, p, ?, ?::DATE, NULL, NULL, 'LOPEND', NULL, NULL, 'trajecten_' || ?,
                  ? || '/trajecten_' || ? || '.csv', 'hash', row_number() OVER ()
           FROM (SELECT unnest(?::VARCHAR[]) AS p)""",
        [first_day(month), partner, initiatief, aanmelddatum, partner, month, partner, [pid(n) for n in person_numbers]],
    )
    add_delivery(con, month, f"trajecten_{partner}")


def add_waiver(con, rule_id: str, record_key: str, valid_until: dt.date) -> None:
    con.execute("INSERT INTO landing.dq_waivers VALUES (?, ?, 'accepted', 'steward', ?)", [rule_id, record_key, valid_until])


TODAY = dt.date.today()
NEXT_YEAR = TODAY + dt.timedelta(days=365)
YESTERDAY = TODAY - dt.timedelta(days=1)

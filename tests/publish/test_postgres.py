"""Publication to a real PostgreSQL schema. Runs when STATMON_PG_* (or STATMON_PG_DSN) is set;
skipped only outside CI: in CI (CI=true) a missing server is a failure."""
from __future__ import annotations

import os
import uuid

import duckdb
import pytest

from orchestration.publish import pg_dsn_from_env, publish, publish_postgres
from orchestration.publish import postgres as pg_module

DSN = pg_dsn_from_env()
if DSN is None and not os.environ.get("CI"):
    pytest.skip("no PostgreSQL configured (STATMON_PG_* unset) and not in CI", allow_module_level=True)


@pytest.fixture
def pg():
    assert DSN, "CI=true but STATMON_PG_DSN / STATMON_PG_HOST... are not set: .ci/run must start PostgreSQL"
    import psycopg2

    con = psycopg2.connect(DSN)
    con.autocommit = True
    schema = f"statmon_test_{uuid.uuid4().hex[:8]}"
    try:
        yield con, schema
    finally:
        with con.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        con.close()


def _pg_rows(con, schema, table, order):
    with con.cursor() as cur:
        cur.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY {order}')
        return cur.fetchall()


def test_postgres_holds_the_published_tables(warehouse, tmp_path, pg):
    con, schema = pg
    result = publish(warehouse, tmp_path / "out", "2018-06")
    counts = publish_postgres(result.published_file, DSN, schema=schema)
    assert counts["caseload_monthly"] == 18 and "publication_log" in counts and "revisions" in counts
    src = duckdb.connect(str(result.published_file), read_only=True)
    try:
        for table, order in (("caseload_monthly", "month"), ("participation_by_gender", "month, gender"),
                             ("initiative_flows", "month, initiative_code, gender, event"),
                             ("cohort_progress", "cohort_year, months_since_permit")):
            expected = src.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            assert _pg_rows(con, schema, table, order) == expected, table
        log = src.execute("SELECT publication_id, months_to FROM publication_log").fetchall()
    finally:
        src.close()
    assert _pg_rows(con, schema, "publication_log", "published_at")[0][0] == log[0][0]
    with con.cursor() as cur:
        cur.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = 'caseload_monthly' AND column_name = 'single_households_suppressed'", (schema,))
        assert cur.fetchone()[0] == "boolean"


def test_postgres_refresh_is_one_transaction(warehouse, tmp_path, pg, monkeypatch):
    con, schema = pg
    first = publish(warehouse, tmp_path / "out", "2017-12")
    publish_postgres(first.published_file, DSN, schema=schema)
    second = publish(warehouse, tmp_path / "out", None)
    # a reader in a snapshot transaction keeps seeing the first publication, whole
    import psycopg2

    reader = psycopg2.connect(DSN)
    reader.set_session(isolation_level="REPEATABLE READ")
    with reader.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{schema}".caseload_monthly')
        assert cur.fetchone()[0] == 12
        publish_postgres(second.published_file, DSN, schema=schema)  # not blocked by the reader
        cur.execute(f'SELECT count(*) FROM "{schema}".caseload_monthly')
        assert cur.fetchone()[0] == 12
    reader.rollback()
    assert len(_pg_rows(con, schema, "caseload_monthly", "month")) == 24
    # a load that fails half-way changes nothing
    monkeypatch.setitem(pg_module._PG_TYPES, "VARCHAR", "no_such_type")
    third = publish(warehouse, tmp_path / "out2", "2017-06")
    with pytest.raises(Exception):
        publish_postgres(third.published_file, DSN, schema=schema)
    assert len(_pg_rows(con, schema, "caseload_monthly", "month")) == 24
    assert len(_pg_rows(con, schema, "publication_log", "published_at")) == 2


def test_dsn_from_parts(monkeypatch):
    for var in ("STATMON_PG_DSN", *pg_module.PG_ENV):
        monkeypatch.delenv(var, raising=False)
    assert pg_dsn_from_env() is None
    monkeypatch.setenv("STATMON_PG_HOST", "db.example")
    monkeypatch.setenv("STATMON_PG_DBNAME", "bi")
    assert pg_dsn_from_env() == "host='db.example' dbname='bi'"
    monkeypatch.setenv("STATMON_PG_DSN", "postgresql://u@h/d")
    assert pg_dsn_from_env() == "postgresql://u@h/d"


def test_postgres_tables_and_columns_carry_the_dbt_descriptions(warehouse, tmp_path, pg):
    """A BI user browsing the schema reads each column's definition beside it: the dbt
    descriptions, through the published file's comments (one source of truth)."""
    from orchestration.publish.descriptions import dbt_descriptions

    con, schema = pg
    result = publish(warehouse, tmp_path / "out", None)
    publish_postgres(result.published_file, DSN, schema=schema)
    dbt = dbt_descriptions()
    with con.cursor() as cur:
        cur.execute("SELECT obj_description(%s::regclass, 'pg_class')", (f'"{schema}".caseload_monthly',))
        assert cur.fetchone()[0] == dbt["caseload_monthly"][0]
        cur.execute("""SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a
                       WHERE a.attrelid = %s::regclass AND a.attnum > 0""", (f'"{schema}".caseload_monthly',))
        comments = dict(cur.fetchall())
        assert comments["statushouders_on_benefit"] == dbt["caseload_monthly"][1]["statushouders_on_benefit"]
        assert "suppressed" in comments["statushouders_on_benefit_suppressed"]
        cur.execute("SELECT col_description(%s::regclass, 2)", (f'"{schema}".outflow_quarterly',))
        assert cur.fetchone()[0] == dbt["outflow_monthly"][1]["reason_group"]


def test_postgres_holds_the_rendement(warehouse, tmp_path, pg):
    """The rendement tables arrive whole in PostgreSQL, with their NULLs, flags and comments."""
    from orchestration.publish.descriptions import dbt_descriptions

    con, schema = pg
    result = publish(warehouse, tmp_path / "out", None)
    publish_postgres(result.published_file, DSN, schema=schema)
    src = duckdb.connect(str(result.published_file), read_only=True)
    try:
        for table, order in (("initiative_effect", "initiative_code, outcome, horizon_months"),
                             ("initiative_effect_curve", "initiative_code, outcome, months_since_start")):
            expected = src.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            assert expected and _pg_rows(con, schema, table, order) == expected, table
            assert any(None in row for row in expected)  # NULLs (too_few, suppressed) survive as NULL
    finally:
        src.close()
    with con.cursor() as cur:
        cur.execute("""SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a
                       WHERE a.attrelid = %s::regclass AND a.attnum > 0""", (f'"{schema}".initiative_effect',))
        comments = dict(cur.fetchall())
    assert comments["effect_pp"] == dbt_descriptions()["initiative_effect"][1]["effect_pp"]
    assert "count it is computed from" in comments["effect_pp_suppressed"]

"""No BSN from the input reaches any table; a rejected BSN shows masked; the pseudonym key is
resolved from the environment or, on demo data only, from a local random key."""
from __future__ import annotations

import re
import stat

import pytest

from ingestion_helpers import FIXTURES, KEY, ingest_all
from orchestration.pseudonym import (PseudonymKeyMissing, hmac_sql, hmac_sql_params, pseudonymise, pseudonymise_many,
                                     resolve_key)


def input_bsns() -> set[str]:
    """Every digit run of 7-9 digits in the fixture deliveries (BSNs, valid or not, with and
    without the leading zero), as written in the files."""
    found = set()
    for path in (FIXTURES / "raw").rglob("*.csv"):
        for run in re.findall(rb"\d{7,9}", path.read_bytes()):
            found.add(run.decode())
            if len(run) == 8:
                found.add("0" + run.decode())
    # the BSN with a letter in it (quarantined)
    found.add("57823O859")
    return {b for b in found if not re.fullmatch(r"(19|20)\d{6}", b) and b != "00000000"}


def test_no_input_bsn_in_any_table(con, raw_dir):
    ingest_all(con, raw_dir, "2018-03")
    ingest_all(con, raw_dir, "2016-06")
    bsns = input_bsns()
    assert {"799642630", "010000021", "10000021", "799642631", "1234567"} <= bsns
    columns = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ).fetchall()
    assert len({(s, t) for s, t, _ in columns}) >= 10  # landing.*
    hits = []
    for schema, table, column in columns:
        values = {v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}"').fetchall() if v}
        for value in values:
            for bsn in bsns:
                if bsn in value:
                    hits.append((schema, table, column, value))
    assert hits == []
    # the working tables that held BSNs during ingestion are gone
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal").fetchone()[0] == 0
    # and they are really in there as pseudonyms
    assert con.execute("SELECT count(DISTINCT person_id) FROM landing.trajecten").fetchone()[0] == 3


def test_rejected_bsns_are_masked_to_the_last_three_digits(con, raw_dir):
    ingest_all(con, raw_dir, "2018-03")
    values = [v for (v,) in con.execute("SELECT value FROM landing.quarantine WHERE column_name = 'bsn'").fetchall()]
    assert values and all(v is None or re.fullmatch(r"\*{6}.{3}", v) for v in values)


def test_pseudonym_is_keyed_and_stable():
    assert pseudonymise("799642630", KEY) == pseudonymise("799642630", KEY)
    assert len(pseudonymise("799642630", KEY)) == 32
    assert pseudonymise("799642630", KEY) != pseudonymise("799642630", b"another key")
    assert pseudonymise_many(["799642630", "010000021"], KEY) == [
        pseudonymise("799642630", KEY), pseudonymise("010000021", KEY)]
    # HMAC-SHA256 as documented (RFC 4231 style check against hashlib/hmac)
    import hashlib
    import hmac
    assert pseudonymise("123456782", b"k") == hmac.new(b"k", b"123456782", hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize("key", [KEY, b"k", "sleutel-\u00e9\u00e8".encode(), b"x" * 64, b"y" * 65, b"z" * 200])
def test_pseudonym_in_sql_equals_python(key):
    """Ingestion computes the HMAC in DuckDB (RFC 2104 on sha256); it must give exactly the
    Python HMAC, for short keys, 64-byte keys and keys longer than the block (hashed first)."""
    import duckdb

    bsns = [f"{n:09d}" for n in range(0, 10**9, 7_654_321)] + ["799642630", "010000021"]
    con = duckdb.connect()
    con.execute("CREATE TABLE b (bsn9 VARCHAR)")
    con.executemany("INSERT INTO b VALUES (?)", [[b] for b in bsns])
    got = dict(con.execute(f"SELECT bsn9, {hmac_sql('bsn9')} FROM b", hmac_sql_params(key)).fetchall())
    assert got == {b: pseudonymise(b, key) for b in bsns}


def test_resolve_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STATMON_PSEUDONYM_KEY", "s3cret")
    assert resolve_key(tmp_path / "raw", tmp_path / "warehouse" / "monitor.duckdb") == (b"s3cret", "env")


def test_resolve_key_refuses_real_data_without_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("STATMON_PSEUDONYM_KEY", raising=False)
    (tmp_path / "raw").mkdir()
    with pytest.raises(PseudonymKeyMissing, match="STATMON_PSEUDONYM_KEY is not set and .* is not demo data"):
        resolve_key(tmp_path / "raw", tmp_path / "warehouse" / "monitor.duckdb")
    assert not (tmp_path / "warehouse").exists()


def test_demo_key_is_created_once_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("STATMON_PSEUDONYM_KEY", raising=False)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / ".statmon-demo").write_text("demo")
    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    key, mode = resolve_key(raw, warehouse)
    assert mode == "demo" and len(key) == 64
    key_file = tmp_path / "warehouse" / ".demo_pseudonym_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert resolve_key(raw, warehouse) == (key, "demo")

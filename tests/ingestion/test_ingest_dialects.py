"""Every dialect of the registry parses to the same canonical rows: the fixture month 2018-03 has
the same three trajectories in each partner's own dialect (CSV ';' and ',', UTF-8 with and without
BOM, Windows-1252, quoted fields, CRLF, xlsx with Excel date cells and a serial number,
unicode spaces around a BSN, an 8-digit BSN), and 2016-06 the Agros and Pasmatch legacy layouts."""
from __future__ import annotations

import datetime as dt

from ingestion_helpers import CANONICAL_TRAJECTORIES, KEY, PARTNER_INITIATIVE, by_result, iso
from orchestration.sources.ingest import drop_prepared, ingest_month, prepare_file
from orchestration.pseudonym import pseudonymise
from orchestration.sources.registry import load_registry


def expected_rows(initiative: str) -> list[tuple]:
    return [
        (row, pseudonymise(bsn, KEY), initiative, iso(aanmeld), iso(start), iso(einde), uitkomst,
         iso(uitkomstdatum), uren)
        for row, bsn, aanmeld, start, einde, uitkomst, uitkomstdatum, uren in CANONICAL_TRAJECTORIES
    ]


def landed(con, source: str, month: str) -> list[tuple]:
    return con.execute(
        """SELECT row_number, person_id, initiatief, aanmelddatum, startdatum, einddatum, uitkomst,
                  uitkomstdatum, uren_per_week
           FROM landing.trajecten WHERE source = ? AND delivery_month = ? ORDER BY row_number""",
        [source, dt.date.fromisoformat(month + "-01")],
    ).fetchall()


def test_every_partner_dialect_lands_the_same_canonical_rows(con, raw_dir):
    results = ingest_month(con, raw_dir, "2018-03", "trajecten", KEY)
    partners = [s.partner for s in load_registry().sources_of("trajecten")]
    assert sorted(partners) == sorted(PARTNER_INITIATIVE)
    for partner in partners:
        (result,) = by_result(results, f"trajecten_{partner}")
        assert result.status == "loaded", (partner, result.message)
        assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (3, 3, 0), partner
        assert landed(con, f"trajecten_{partner}", "2018-03") == expected_rows(PARTNER_INITIATIVE[partner]), partner
    assert con.execute("SELECT count(*) FROM landing.row_issues").fetchone()[0] == 0
    # lineage: partner code, file path relative to raw/, sha256 of the file
    assert con.execute(
        "SELECT DISTINCT partner, source_file FROM landing.trajecten WHERE source = 'trajecten_uaf'"
    ).fetchall() == [("uaf", "2018-03/trajecten_uaf.csv")]


def test_extra_column_is_ignored_and_reported_once(con, raw_dir):
    results = ingest_month(con, raw_dir, "2018-03", "trajecten", KEY)
    (gemeente,) = by_result(results, "trajecten_gemeente")
    assert gemeente.message == "unknown column(s) ignored: opmerking"
    assert gemeente.severity == "warn"
    assert con.execute(
        "SELECT message FROM landing.deliveries WHERE source = 'trajecten_gemeente'"
    ).fetchall() == [("unknown column(s) ignored: opmerking",)]


def test_legacy_agros_and_pasmatch_layouts_map_headers_and_vocabularies(con, raw_dir):
    results = ingest_month(con, raw_dir, "2016-06", "trajecten", KEY)
    for partner, initiative in (("agros", "AGROS"), ("pasmatch", "PASMATCH")):
        (result,) = by_result(results, f"trajecten_{partner}")
        assert result.status == "loaded", result.message
        assert "header layout 'legacy'" in result.message
        assert landed(con, f"trajecten_{partner}", "2016-06") == expected_rows(initiative)
    assert {r.status for r in results if r.source not in ("trajecten_agros", "trajecten_pasmatch")} == {"missing"}


def test_legacy_pasmatch_rows_as_the_rules_see_them_are_canonical_text(con, raw_dir):
    prepared = prepare_file(con, raw_dir / "2016-06" / "trajecten_pasmatch.csv")
    try:
        rows = con.execute(
            f"""SELECT row_number, bsn_check, initiatief, aanmelddatum, uitkomst, uren_per_week
                FROM {prepared.table} ORDER BY row_number"""
        ).fetchall()
    finally:
        drop_prepared(con, prepared)
    assert rows == [
        (1, "ok", "PASMATCH", "2018-01-15", "LOPEND", None),
        (2, "ok", "PASMATCH", "2017-11-20", "WERK", "32.5"),   # 'Plaatsing': value maps ignore case
        (3, "ok", "PASMATCH", "2018-03-05", None, None),
    ]
    assert prepared.layout.name == "legacy"


def test_windows_1252_values_are_decoded(con, raw_dir, tmp_path):
    month = raw_dir / "2019-01"
    month.mkdir()
    text = ("bsn;initiatief;aanmelddatum;startdatum;einddatum;uitkomst;uitkomstdatum;uren_per_week\r\n"
            "799642630;PASMATCH;15-01-2019;;;Beëindigd;;\r\n"
            "578230859;Scholing Café;15-01-2019;;;LOPEND;;\r\n")
    (month / "trajecten_pasmatch.csv").write_bytes(text.encode("cp1252"))
    (result,) = by_result(ingest_month(con, raw_dir, "2019-01", "trajecten", KEY), "trajecten_pasmatch")
    assert result.status == "loaded", result.message
    issues = con.execute(
        "SELECT row_number, column_name, value, rule FROM landing.row_issues ORDER BY row_number"
    ).fetchall()
    assert issues == [(1, "uitkomst", "Beëindigd", "unknown_code"), (2, "initiatief", "Scholing Café", "unknown_code")]
    assert con.execute(
        "SELECT row_number, initiatief, uitkomst FROM landing.trajecten ORDER BY row_number"
    ).fetchall() == [(1, "PASMATCH", "onbekend"), (2, "onbekend", "LOPEND")]


def test_row_numbers_follow_the_file_order(con, raw_dir):
    """row_number is the 1-based data row of the file, header excluded, also around malformed rows."""
    month = raw_dir / "2019-02"
    month.mkdir()
    lines = ["bsn;initiatief;aanmelddatum;startdatum;einddatum;uitkomst;uitkomstdatum;uren_per_week"]
    days = list(range(1, 29))
    for day in days:
        lines.append(f"799642630;TIMNIT;{day:02d}-02-2019;;;;;" if day != 7 else "799642630;TIMNIT;07-02-2019")
    (month / "trajecten_timnit.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (result,) = by_result(ingest_month(con, raw_dir, "2019-02", "trajecten", KEY), "trajecten_timnit")
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (28, 27, 1)
    rows = con.execute("SELECT row_number, day(aanmelddatum) FROM landing.trajecten ORDER BY row_number").fetchall()
    assert rows == [(d, d) for d in days if d != 7]
    assert con.execute("SELECT row_number, rule FROM landing.quarantine").fetchall() == [(7, "malformed_row")]


def test_brp_incomplete_dates_are_imputed_with_the_raw_text_beside(con, raw_dir):
    ingest_month(con, raw_dir, "2018-03", "brp", KEY)
    rows = con.execute(
        """SELECT row_number, geboortedatum, geboortedatum_raw, datum_ingang_verblijfstitel,
                  datum_ingang_verblijfstitel_raw, datum_vestiging_gemeente
           FROM landing.brp ORDER BY row_number"""
    ).fetchall()
    assert rows[:3] == [
        (1, dt.date(1985, 4, 12), "19850412", dt.date(2016, 6, 1), "20160601", dt.date(2016, 9, 1)),
        (2, dt.date(1987, 7, 1), "19870000", dt.date(2017, 1, 1), "20170100", dt.date(2017, 1, 15)),
        (3, None, "00000000", None, "00000000", dt.date(2018, 3, 1)),
    ]


def test_formatie_decimal_comma_and_month(con, raw_dir):
    ingest_month(con, raw_dir, "2018-03", "formatie", KEY)
    rows = con.execute("SELECT row_number, maand, team, klantmanager_id, fte FROM landing.formatie ORDER BY row_number").fetchall()
    assert rows == [
        (1, dt.date(2018, 3, 1), "statushouders", "KM01", 0.89),
        (2, dt.date(2018, 3, 1), "statushouders", "KM02", 1.0),
        (3, dt.date(2018, 3, 1), "statushouders", "KM03", 1.0),
        (4, dt.date(2018, 3, 1), "werk", "KM04", 0.5),
        (5, dt.date(2018, 3, 1), "statushouders", "KM05", None),
    ]


def test_klantbeeld_dutch_dates(con, raw_dir):
    ingest_month(con, raw_dir, "2018-03", "klantbeeld", KEY)
    rows = con.execute(
        """SELECT row_number, assessment_datum, plan_van_aanpak_datum, advies_route, afstand_arbeidsmarkt,
                  laatste_contact_datum FROM landing.klantbeeld ORDER BY row_number"""
    ).fetchall()
    assert rows == [
        (1, dt.date(2016, 10, 15), dt.date(2016, 12, 1), "werk", "overbrugbaar", dt.date(2018, 3, 12)),
        (2, None, None, "onderwijs", None, dt.date(2018, 2, 1)),
        (3, None, dt.date(2018, 2, 1), "onbekend", "onbekend", dt.date(2018, 3, 5)),
    ]

"""Hand-written landing rows for the dbt acceptance tests: a few dozen persons whose true
figures were worked out by hand (see test_marts.py). The person ids stand for pseudonyms.

Benefits deliveries: 2017-11, 2017-12, 2018-01, 2018-03, 2018-04, 2018-05, 2018-06 (2018-02 is
missing; 2018-01 was delivered twice). Who is who:

  p01  registered only (J, no BRP title): cohort from the first aanvangsdatum; AGROS trajectory
       whose outcome goes LOPEND -> STAGE -> WERK across snapshots; an unknown leefvorm in 2018-05
  p02  derived only (asylum title, flag empty): the 2014/2015 gap; not in view
  p03  both; benefit ends for work in 2017-11 and a new one starts in 2018-03 (returned);
       dual trajectories AGROS + TIMNIT; gender only in BRP
  p04  derived, kenmerk N: registration conflict (waived) and registration missing; onoverbrugbaar
  p05  no statushouder (title 98): on benefit and in AGROS, counted nowhere
  p06  ends for study in 2018-04
  p07  end in 2017-12 corrected away in 2018-01 (a correction in a later month); ends 2018-05 overig
  p08  ends 2018-06 without a reason (benefit_end_reason_missing, overig)
  p09  running benefit vanishes after 2018-01 (benefit_vanished), not an ending
  p10  in the 2018-01 file that was delivered twice (the stale version says single, p99 extra)
  p11  new on benefit in 2018-04; settled 2018 with an assessment but no plan: intake_incomplete
  p12  two concurrent benefits (household from the latest start); PASMATCH trajectory absent from
       later snapshots; a second PASMATCH registration (dual, same initiative)
  p13  only statistiekcode 11: statushouder, never on bijstand
  p14  gender O in BRP: onbekend; TIMNIT with startdatum before aanmelddatum
  p16  only in a partner file: partner_client_unknown
  p17  ends for work in 2017-12 and does not return
"""
from __future__ import annotations

import datetime as dt

BENEFIT_MONTHS = ["2017-11", "2017-12", "2018-01", "2018-03", "2018-04", "2018-05", "2018-06"]


def d(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def month(ym: str) -> dt.date:
    return dt.date.fromisoformat(ym + "-01")


def months_between(first: str, last: str) -> list[str]:
    return [m for m in BENEFIT_MONTHS if first <= m <= last]


# benefit_id, person, statistiekcode, aanvangsdatum, kenmerk, geslacht, leefvorm, caseworker,
# first and last month delivered
BENEFITS = [
    ("B01", "p01", "01", "2016-07-01", "J", "1", "1", "KM1", "2017-11", "2018-06"),
    ("B02", "p02", "01", "2014-10-01", None, "2", "3", "KM1", "2017-11", "2018-06"),
    ("B03", "p03", "01", "2015-09-01", "J", None, "2", "KM2", "2017-11", "2017-11"),
    ("B03R", "p03", "01", "2018-03-01", "J", None, "2", "KM2", "2018-03", "2018-06"),
    ("B04", "p04", "01", "2015-04-01", "N", "1", "4", "KM2", "2017-11", "2018-06"),
    ("B05", "p05", "01", "2017-01-01", "N", "2", "1", "KM3", "2017-11", "2018-06"),
    ("B06", "p06", "01", "2016-08-15", "J", "2", "1", "KM1", "2017-11", "2018-04"),
    ("B07", "p07", "01", "2016-10-01", "J", "1", "1", "KM2", "2017-11", "2018-05"),
    ("B08", "p08", "01", "2016-11-01", "J", "2", "2", "KM3", "2017-11", "2018-06"),
    ("B09", "p09", "01", "2016-08-01", "J", "1", "1", "KM3", "2017-11", "2018-01"),
    ("B10", "p10", "01", "2017-06-15", "J", "2", "3", "KM1", "2017-11", "2018-06"),
    ("B11", "p11", "01", "2018-04-02", "J", "1", "1", "KM2", "2018-04", "2018-06"),
    ("B12A", "p12", "01", "2015-01-01", "J", "2", "1", "KM3", "2017-11", "2018-06"),
    ("B12B", "p12", "01", "2016-10-01", "J", "2", "2", "KM3", "2017-11", "2018-06"),
    ("B13", "p13", "11", "2015-06-01", "J", "1", "1", "KM1", "2017-11", "2018-06"),
    ("B14", "p14", "01", "2017-07-15", "J", None, "1", "KM2", "2017-11", "2018-06"),
    ("B17", "p17", "01", "2017-01-01", "J", "2", "1", "KM1", "2017-11", "2017-12"),
]

# (benefit_id, month) -> (einddatum, reden_beeindiging) as that month's delivery gives them
ENDINGS = {
    ("B03", "2017-11"): ("2017-11-14", "11"),
    ("B05", "2018-06"): ("2018-06-10", "11"),
    ("B06", "2018-04"): ("2018-04-10", "01"),
    ("B07", "2017-12"): ("2017-12-31", "11"),  # corrected away by the 2018-01 delivery
    ("B07", "2018-05"): ("2018-05-31", "19"),
    ("B08", "2018-06"): ("2018-06-15", None),
    ("B17", "2017-12"): ("2017-12-05", "11"),
}

# person -> (geslacht, verblijfstitel, datum_ingang raw, datum_vestiging raw)
BRP = {
    "p01": ("M", None, None, "20160200"),
    "p02": ("V", "26", "20140000", "20140915"),
    "p03": ("V", "27", "20150520", "20150801"),
    "p04": ("M", "91", "20150701", "20150910"),
    "p05": ("V", "98", None, "20160101"),
    "p06": ("V", "26", "20160715", "20160801"),
    "p07": ("M", None, None, "20151200"),
    "p08": ("V", "27", "20160901", "20161001"),
    "p09": ("M", "26", "20160601", "20160701"),
    "p10": ("V", "27", "20170501", "20170601"),
    "p11": ("M", "26", "20171201", "20180110"),
    "p12": ("V", "27", "20141201", "20150115"),
    "p13": ("M", "26", "20150601", "20150701"),
    "p14": ("O", "27", "20170601", "20170701"),
    "p17": ("V", "26", "20161101", "20161201"),
}

# person -> (assessment, plan van aanpak, advies_route, afstand, laatste_contact)
CLIENT_STATES = {
    "p01": ("2017-10-01", "2017-10-15", "werk", "overbrugbaar", "2018-05-01"),
    "p02": (None, None, None, None, "2016-05-01"),
    "p03": ("2017-06-01", "2017-07-01", "werk", "overbrugbaar", "2018-01-01"),
    "p04": (None, None, "zorg", "onoverbrugbaar", None),
    "p05": (None, None, None, None, None),
    "p06": ("2017-02-01", "2017-03-01", "onderwijs", "overbrugbaar", "2018-03-01"),
    "p07": (None, "2016-03-01", "werk", "overbrugbaar", None),
    "p08": ("2017-01-10", None, None, None, None),
    "p09": ("2016-10-01", None, None, None, None),
    "p10": (None, None, "werk", None, "2017-08-01"),
    "p11": ("2018-03-01", None, "werk", None, "2018-03-01"),
    "p12": (None, None, None, None, None),
    "p13": (None, None, None, None, None),
    "p14": ("2017-05-01", None, "participatie", None, "2018-02-01"),
    "p17": ("2017-03-01", "2017-04-01", "werk", "overbrugbaar", "2017-11-01"),
}

# trajectory versions: (partner, initiatief, person, aanmelddatum, snapshot months, start, end,
# uitkomst, uitkomstdatum, uren)
TRAJECTORIES = [
    ("agros", "AGROS", "p01", "2017-03-01", ["2017-11", "2017-12"], "2017-04-01", None, "LOPEND", None, None),
    ("agros", "AGROS", "p01", "2017-03-01", ["2018-01"], "2017-04-01", None, None, None, None),
    ("agros", "AGROS", "p01", "2017-03-01", ["2018-03"], "2017-04-01", None, "STAGE", "2018-03-10", None),
    ("agros", "AGROS", "p01", "2017-03-01", ["2018-04", "2018-05", "2018-06"], "2017-04-01", "2018-04-20", "WERK", "2018-04-20", 24.0),
    ("agros", "AGROS", "p03", "2017-10-01", BENEFIT_MONTHS, "2017-10-15", None, None, None, None),
    ("agros", "AGROS", "p05", "2017-09-01", BENEFIT_MONTHS, "2017-09-10", None, None, None, None),
    ("pasmatch", "PASMATCH", "p12", "2017-09-01", ["2017-11", "2017-12"], "2017-10-01", None, "LOPEND", None, None),
    ("pasmatch", "PASMATCH", "p16", "2018-01-05", ["2018-01", "2018-03", "2018-04", "2018-05", "2018-06"], None, None, None, None, None),
    ("pasmatch", "PASMATCH", "p12", "2018-03-01", ["2018-03", "2018-04", "2018-05"], None, None, None, None, None),
    # uitkomst BEZIG is outside the list: loaded as onbekend, with a row issue
    ("pasmatch", "PASMATCH", "p12", "2018-03-01", ["2018-06"], None, None, "onbekend", None, None),
    ("timnit", "TIMNIT", "p03", "2017-10-15", ["2018-01"], "2017-11-01", None, None, None, None),
    ("timnit", "TIMNIT", "p03", "2017-10-15", ["2018-03", "2018-04", "2018-05", "2018-06"], "2017-11-01", None, "VOORSCHAKEL", "2018-02-20", None),
    ("timnit", "TIMNIT", "p14", "2018-01-10", ["2018-01", "2018-03", "2018-04", "2018-05", "2018-06"], "2018-01-05", None, None, None, None),
    ("gemeente", "ASSESSMENT", "p11", "2018-03-01", ["2018-03", "2018-04", "2018-05", "2018-06"], "2018-03-05", "2018-03-05", "AFGEROND", "2018-03-05", None),
]

FILE_EXT = {"agros": "xlsx", "pasmatch": "csv", "timnit": "csv", "gemeente": "csv"}


def brp_date(raw: str | None) -> dt.date | None:
    """The landing imputation: unknown day = 1st, unknown month = July."""
    if not raw or raw[:4] == "0000":
        return None
    y, m, dd = int(raw[:4]), int(raw[4:6]), int(raw[6:8])
    return dt.date(y, m or 7, dd or 1)


def benefit_rows() -> list[tuple]:
    rows: list[tuple] = []
    for ym in BENEFIT_MONTHS:
        row_no = 0
        for (bid, pid, code, start, flag, sex, household, km, first, last) in BENEFITS:
            if not first <= ym <= last:
                continue
            row_no += 1
            end, reason = ENDINGS.get((bid, ym), (None, None))
            leefvorm = "onbekend" if (bid, ym) == ("B01", "2018-05") else household
            rows.append(_benefit(ym, bid, code, pid, sex, leefvorm, start, end, reason, flag, km, row_no, f"{ym}-v1"))
    # 2018-01 delivered twice: an older version (landed first) with p10 single and an extra p99
    old = "2018-01-v0"
    for i, (bid, pid, code, start, flag, sex, household, km, first, last) in enumerate(
        [b for b in BENEFITS if b[8] <= "2018-01" <= b[9]], start=1
    ):
        end, reason = ENDINGS.get((bid, "2018-01"), (None, None))
        rows.append(_benefit("2018-01", bid, code, pid, sex, "1" if bid == "B10" else household,
                             start, end, reason, flag, km, i, old))
    rows.append(_benefit("2018-01", "B99", "01", "p99", "1", "1", "2017-01-01", None, None, "J", "KM1", 99, old))
    return rows


def _benefit(ym, bid, code, pid, sex, leefvorm, start, end, reason, flag, km, row_no, file_hash):
    m = month(ym)
    return (m, m.year, m.month, bid, code, pid, d("1990-01-01"), sex, leefvorm, d(start), d(end),
            reason, flag, km, "uitkeringen", f"{ym}/uitkeringen.csv", file_hash, row_no)


def brp_rows() -> list[tuple]:
    rows = []
    for ym in BENEFIT_MONTHS:
        for i, (pid, (sex, title, ingang, vestiging)) in enumerate(BRP.items(), start=1):
            if pid == "p11" and ym < "2018-04":
                continue
            rows.append((month(ym), pid, d("1990-01-01"), "19900101", sex, "SYR", title,
                         brp_date(ingang), ingang, brp_date(vestiging), vestiging,
                         "brp", f"{ym}/brp.csv", f"brp-{ym}", i))
    return rows


def client_state_rows() -> list[tuple]:
    rows = []
    for ym in BENEFIT_MONTHS:
        for i, (pid, (assessed, plan, route, distance, contact)) in enumerate(CLIENT_STATES.items(), start=1):
            if pid == "p11" and ym < "2018-03":
                continue
            if pid == "p10" and ym == "2018-06":
                route = "onbekend"  # 'werkk' in the file: an unknown code
            rows.append((month(ym), pid, "KM1", d(assessed), d(plan), route, distance, d(contact),
                         "klantbeeld", f"{ym}/klantbeeld.csv", f"kb-{ym}", i))
    return rows


def staffing_rows() -> list[tuple]:
    rows = [
        ("2017-11", "statushouders", "KM1", 1.0),
        ("2017-11", "statushouders", "KM2", 0.5),
        ("2017-11", "inkomen", "KM9", 1.0),
        ("2018-06", "statushouders", "KM1", 1.0),
        ("2018-06", "statushouders", "KM2", 1.0),
        ("2018-06", "statushouders", "KM3", 0.5),
    ]
    return [(month(ym), month(ym), team, km, fte, "formatie", f"{ym}/formatie.csv", f"f-{ym}", i)
            for i, (ym, team, km, fte) in enumerate(rows, start=1)]


def trajectory_rows() -> list[tuple]:
    rows = []
    counters: dict[tuple[str, str], int] = {}
    for (partner, initiative, pid, registered, snapshots, start, end, outcome, outcome_date, hours) in TRAJECTORIES:
        for ym in snapshots:
            counters[(partner, ym)] = counters.get((partner, ym), 0) + 1
            rows.append((month(ym), partner, pid, initiative, d(registered), d(start), d(end), outcome,
                         d(outcome_date), hours, f"trajecten_{partner}",
                         f"{ym}/trajecten_{partner}.{FILE_EXT[partner]}", f"{partner}-{ym}",
                         counters[(partner, ym)]))
    return rows


def trajectory_row_number(partner: str, ym: str, person: str, registered: str) -> int:
    for r in trajectory_rows():
        if r[1] == partner and r[0] == month(ym) and r[2] == person and r[4] == d(registered):
            return r[13]
    raise KeyError((partner, ym, person, registered))


def quarantine_rows() -> list[tuple]:
    return [
        (month("2018-03"), "uitkeringen", "2018-03/uitkeringen.csv", "2018-03-v1", 40, "bsn", "******123",
         "bsn_invalid", "bsn fails the 11-check", "B15"),
        (month("2018-04"), "uitkeringen", "2018-04/uitkeringen.csv", "2018-04-v1", 41, "bsn", "******123",
         "bsn_invalid", "bsn fails the 11-check", "B15"),
        (month("2018-06"), "trajecten_uaf", "2018-06/trajecten_uaf.csv", "uaf-2018-06", 3, "aanmelddatum", None,
         "required_date_missing", "aanmelddatum is empty", None),
    ]


def row_issue_rows() -> list[tuple]:
    leefvorm_row = next(r for r in benefit_rows() if r[0] == month("2018-05") and r[3] == "B01")[17]
    p12_row = trajectory_row_number("pasmatch", "2018-06", "p12", "2018-03-01")
    p10_row = list(CLIENT_STATES).index("p10") + 1
    return [
        (month("2018-05"), "uitkeringen", "2018-05/uitkeringen.csv", leefvorm_row, "leefvorm", "7",
         "unknown_code", "leefvorm 7 is not in codes/leefvorm.csv", "p01", "B01"),
        (month("2018-06"), "trajecten_pasmatch", "2018-06/trajecten_pasmatch.csv", p12_row, "uitkomst", "BEZIG",
         "unknown_code", "uitkomst BEZIG is not in codes/uitkomst.csv", "p12", None),
        (month("2018-06"), "klantbeeld", "2018-06/klantbeeld.csv", p10_row, "advies_route", "werkk",
         "unknown_code", "advies_route werkk is not one of werk, onderwijs, participatie, zorg", "p10", None),
    ]


def delivery_rows() -> list[tuple]:
    loaded = dt.datetime(2018, 7, 1, 12, 0)
    rows = []
    for ym in BENEFIT_MONTHS:
        rows.append((month(ym), "uitkeringen", f"{ym}/uitkeringen.csv", f"{ym}-v1", "loaded", loaded))
    # the stale 2018-01 version landed earlier than the current one
    rows.append((month("2018-01"), "uitkeringen", "2018-01/uitkeringen.csv", "2018-01-v0", "loaded",
                 dt.datetime(2018, 2, 3, 9, 0)))
    return rows


def expectation_rows() -> list[tuple]:
    at = dt.datetime(2018, 7, 1, 12, 0)
    pasmatch = ("trajecten_pasmatch", "trajecten", "expect_column_values_to_be_in_set", "person_id",
                "partner_bsn_known", "warn")
    rows = [
        (month("2018-03"), *pasmatch, False, 3, 1, "1 partner BSN not in the benefits delivery", at),
        (month("2018-04"), *pasmatch, True, 3, 0, None, at),
        (month("2018-06"), "uitkeringen", "uitkeringen", "expect_table_row_count_to_be_between", None,
         "row_count_vs_previous_month", "error", False, 13, None, "13 rows, previous month 30", at),
        (month("2018-05"), "uitkeringen", "uitkeringen", "expect_table_row_count_to_be_between", None,
         "row_count_vs_previous_month", "error", True, 14, None, None, at),
    ]
    return rows


WAIVERS = [
    ("statushouder_registration_conflict", "registratienummer_uitkering=B04; person_id=p04",
     "title 91 is a legacy code; flag corrected in the next release", "steward.a", d("2099-12-31")),
    ("statushouder_registration_missing", "registratienummer_uitkering=B02; person_id=p02",
     "expired waiver: must be open again", "steward.b", d("2018-01-01")),
]


def load(con, months: set[str] | None = None) -> None:
    """Insert the fixture rows into the landing schema of an open DuckDB connection: every row, or
    only those of the given delivery months ('YYYY-MM'; waivers always)."""
    tables = [
        ("landing.uitkeringen", benefit_rows(), None),
        ("landing.brp", brp_rows(), None),
        ("landing.klantbeeld", client_state_rows(), None),
        ("landing.formatie", staffing_rows(), None),
        ("landing.trajecten", trajectory_rows(), None),
        ("landing.quarantine", quarantine_rows(), None),
        ("landing.row_issues", row_issue_rows(), None),
        ("landing.deliveries", delivery_rows(),
         "(delivery_month, source, source_file, file_hash, status, loaded_at)"),
        ("landing.expectation_results", expectation_rows(),
         "(delivery_month, source, suite_name, expectation_type, column_name, rule, severity, success, "
         "element_count, unexpected_count, detail, validated_at)"),
    ]
    for table, rows, columns in tables:
        if months is not None:
            rows = [r for r in rows if r[0].strftime("%Y-%m") in months]
        if rows:
            placeholders = ",".join("?" * len(rows[0]))
            con.executemany(f"insert into {table} {columns or ''} values ({placeholders})", rows)
    if months is None or not con.execute("select count(*) from landing.dq_waivers").fetchone()[0]:
        con.executemany("insert into landing.dq_waivers values (?, ?, ?, ?, ?)", WAIVERS)

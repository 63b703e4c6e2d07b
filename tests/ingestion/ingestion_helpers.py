"""Helpers of the ingestion tests: the fixture deliveries (tests/ingestion/fixtures/raw,
hand-written text files; the .xlsx deliveries are written here with openpyxl because a binary
file is not reviewable in git), and writers for every dialect."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration.sources.ingest import SOURCE_KINDS, ingest_month

FIXTURES = Path(__file__).parent / "fixtures"
KEY = b"test-pseudonym-key"

# The three trajectories every partner file of fixtures/raw/2018-03 holds, canonical
# (bsn 9 digits, ISO dates, uren as float).
CANONICAL_TRAJECTORIES = [
    # row, bsn, aanmelddatum, startdatum, einddatum, uitkomst, uitkomstdatum, uren_per_week
    (1, "799642630", "2018-01-15", "2018-02-01", None, "LOPEND", "2018-02-01", None),
    (2, "010000021", "2017-11-20", "2017-12-01", "2018-03-10", "WERK", "2018-03-10", 32.5),
    (3, "578230859", "2018-03-05", None, None, None, None, None),
]
PARTNER_INITIATIVE = {
    "adviesteam": "ADVIES_ONDERWIJS", "uaf": "UAF", "agros": "AGROS", "pasmatch": "PASMATCH",
    "aandeslag": "AAN_DE_SLAG", "timnit": "TIMNIT", "vluchtelingenwerk": "VIP", "wsp": "LEERWERKSTAGE",
    "sur_atelier": "SUR_ATELIER", "nova": "VOORSCHAKEL", "gemeente": "ASSESSMENT",
}
TRAJECT_HEADER = ["bsn", "initiatief", "aanmelddatum", "startdatum", "einddatum", "uitkomst",
                  "uitkomstdatum", "uren_per_week"]
AGROS_LEGACY_HEADER = ["BSN", "Datum aanmelding", "Datum start", "Datum einde", "Resultaat",
                       "Datum resultaat", "Uren"]
AGROS_LEGACY_VOCAB = {"LOPEND": "Loopt", "WERK": "Werk", "STAGE": "Stage", "UITGEVALLEN": "Uitval",
                      "AFGEROND": "Afgerond"}


def iso(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def write_xlsx(path: Path, header: list, rows: list[list], sheet: str = "trajecten",
               date_format: str = "DD-MM-YYYY") -> None:
    """An .xlsx with `header` and `rows` on `sheet`; date values become real Excel date cells."""
    import openpyxl

    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, (dt.date, dt.datetime)):
                cell.number_format = date_format
    workbook.save(path)


def write_partner_xlsx(month_dir: Path) -> None:
    """The xlsx partner files of fixtures/raw/2018-03 and the legacy Agros file of 2016-06."""
    rows = []
    for _, bsn, aanmeld, start, einde, uitkomst, uitkomstdatum, uren in CANONICAL_TRAJECTORIES:
        rows.append([int(bsn), "AGROS", iso(aanmeld), iso(start), iso(einde), uitkomst, iso(uitkomstdatum), uren])
    # one date as a bare Excel serial number (a cell without date format)
    rows[2][2] = excel_serial(iso(CANONICAL_TRAJECTORIES[2][2]))
    write_xlsx(month_dir / "2018-03" / "trajecten_agros.xlsx", TRAJECT_HEADER, rows)
    wsp_rows = [[r[0], "LEERWERKSTAGE", *r[2:]] for r in rows]
    wsp_rows[0][0] = CANONICAL_TRAJECTORIES[0][1]  # BSN as text in one cell
    write_xlsx(month_dir / "2018-03" / "trajecten_wsp.xlsx", TRAJECT_HEADER, wsp_rows)
    legacy = [[int(bsn), iso(aanmeld), iso(start), iso(einde), AGROS_LEGACY_VOCAB.get(uitkomst) if uitkomst else None,
               iso(uitkomstdatum), uren]
              for _, bsn, aanmeld, start, einde, uitkomst, uitkomstdatum, uren in CANONICAL_TRAJECTORIES]
    write_xlsx(month_dir / "2016-06" / "trajecten_agros.xlsx", AGROS_LEGACY_HEADER, legacy)


def ingest_all(con, raw_dir: Path, month: str, registry_path: Path | None = None) -> list:
    results = []
    for kind in SOURCE_KINDS:
        results += ingest_month(con, raw_dir, month, kind, KEY, registry_path=registry_path)
    return results


def by_result(results, source: str):
    return [r for r in results if r.source == source]

"""File writers, one per delivery dialect of the landing contract (written from the contract's
tables, not from the pipeline's source registry, so that a mistake cannot hide in both)."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bsn import text9
from .dates import NONE, dmy, iso, to_date

BOM = b"\xef\xbb\xbf"

CANONICAL = ["bsn", "initiatief", "aanmelddatum", "startdatum", "einddatum", "uitkomst", "uitkomstdatum",
             "uren_per_week"]
# Legacy layouts (regular contracts before 2018): canonical column -> legacy header
LEGACY_HEADERS = {
    "agros": {"bsn": "BSN", "aanmelddatum": "Datum aanmelding", "startdatum": "Datum start",
              "einddatum": "Datum einde", "uitkomst": "Resultaat", "uitkomstdatum": "Datum resultaat",
              "uren_per_week": "Uren"},
    "pasmatch": {"bsn": "Burgerservicenummer", "aanmelddatum": "Aanmelddatum", "startdatum": "Startdatum traject",
                 "einddatum": "Einddatum traject", "uitkomst": "Status", "uitkomstdatum": "Datum status",
                 "uren_per_week": "Uren p/w"},
}
LEGACY_VALUES = {
    "agros": {"LOPEND": "Loopt", "WERK": "Werk", "STAGE": "Stage", "UITGEVALLEN": "Uitval", "AFGEROND": "Afgerond",
              "GESTOPT": "Afgebroken"},
    "pasmatch": {"LOPEND": "actief", "WERK": "plaatsing", "STAGE": "stageplaats", "UITGEVALLEN": "gestopt",
                 "AFGEROND": "klaar", "GESTOPT": "afgebroken"},
}


@dataclass(frozen=True)
class PartnerDialect:
    partner: str
    file: str            # file name without version suffix
    kind: str            # csv or xlsx
    delimiter: str = ";"
    encoding: str = "utf-8"
    bom: bool = False
    dates: str = "iso"   # iso (YYYY-MM-DD), dmy (DD-MM-YYYY) or excel
    legacy_before: str | None = None   # first month of the canonical layout


# The landing contract's table "Dialects agreed with each partner".
PARTNER_DIALECTS = {
    "adviesteam": PartnerDialect("adviesteam", "trajecten_adviesteam.csv", "csv", ";", "utf-8", False, "iso"),
    "uaf": PartnerDialect("uaf", "trajecten_uaf.csv", "csv", ",", "utf-8", False, "iso"),
    "agros": PartnerDialect("agros", "trajecten_agros.xlsx", "xlsx", dates="excel", legacy_before="2018-01"),
    "pasmatch": PartnerDialect("pasmatch", "trajecten_pasmatch.csv", "csv", ";", "cp1252", False, "dmy",
                               legacy_before="2018-01"),
    "aandeslag": PartnerDialect("aandeslag", "trajecten_aandeslag.csv", "csv", ",", "utf-8", False, "iso"),
    "timnit": PartnerDialect("timnit", "trajecten_timnit.csv", "csv", ";", "utf-8", False, "dmy"),
    "vluchtelingenwerk": PartnerDialect("vluchtelingenwerk", "trajecten_vluchtelingenwerk.csv", "csv", ";", "utf-8",
                                        True, "dmy"),
    "wsp": PartnerDialect("wsp", "trajecten_wsp.xlsx", "xlsx", dates="excel"),
    "sur_atelier": PartnerDialect("sur_atelier", "trajecten_sur_atelier.csv", "csv", ",", "utf-8", False, "iso"),
    "nova": PartnerDialect("nova", "trajecten_nova.csv", "csv", ";", "utf-8", True, "dmy"),
    "gemeente": PartnerDialect("gemeente", "trajecten_gemeente.csv", "csv", ";", "utf-8", False, "iso"),
}
# Pasmatch's export carries a free-text remark column (ignored by the pipeline); its accents are
# what makes the Windows-1252 encoding matter.
PASMATCH_REMARKS = ["", "", "", "cliënt gestart", "geïnteresseerd in zorg", "taalniveau A2 – vervolg",
                    "reiskosten € 50 vergoed", "overleg met klantmanager", "café-medewerker"]


def write_csv(path: Path, header: list[str], columns: list[np.ndarray], *, delimiter: str = ";",
              encoding: str = "utf-8", bom: bool = False) -> int:
    """Write rows given as columns of strings. Values never hold the delimiter, quotes or newlines
    (the generator makes none), so no quoting is needed. Returns bytes written."""
    lines = [delimiter.join(header)]
    if columns and len(columns[0]):
        lines.extend(delimiter.join(row) for row in zip(*columns))
    data = ("\n".join(lines) + "\n").encode(encoding)
    if bom:
        data = BOM + data
    path.write_bytes(data)
    return len(data)


def format_dates(days: np.ndarray, style: str) -> np.ndarray:
    return dmy(days) if style == "dmy" else iso(days)


def write_partner(path: Path, dialect: PartnerDialect, month: str, rows: dict[str, np.ndarray]) -> int:
    """rows: canonical columns; bsn as int, dates as day numbers (NONE = empty), uitkomst text,
    uren as int (0 = empty). Writes the dialect (legacy layout before its cut-over month)."""
    legacy = dialect.legacy_before is not None and month < dialect.legacy_before
    columns = list(CANONICAL)
    uitkomst = rows["uitkomst"]
    if legacy:
        columns.remove("initiatief")
        mapping = LEGACY_VALUES[dialect.partner]
        uitkomst = np.array([mapping.get(u, u) if u else "" for u in uitkomst], dtype=object)
    header = [LEGACY_HEADERS[dialect.partner][c] if legacy else c for c in columns]
    if dialect.kind == "xlsx":
        return _write_xlsx(path, header, columns, rows, uitkomst, bsn_as_number=legacy, month=month)
    data = {
        "bsn": text9(rows["bsn"]),
        "initiatief": rows["initiatief"],
        "uitkomst": uitkomst,
        "uren_per_week": np.where(rows["uren"] > 0, rows["uren"].astype(str), "").astype(object),
    }
    for c in ("aanmelddatum", "startdatum", "einddatum", "uitkomstdatum"):
        data[c] = format_dates(rows[c], dialect.dates)
    out_cols = [data[c] for c in columns]
    if dialect.partner == "pasmatch":
        header = header + (["Opmerking"] if legacy else ["opmerking"])
        out_cols.append(rows["opmerking"])
    return write_csv(path, header, out_cols, delimiter=dialect.delimiter, encoding=dialect.encoding, bom=dialect.bom)


def _write_xlsx(path: Path, header, columns, rows, uitkomst, *, bsn_as_number: bool, month: str) -> int:
    import xlsxwriter  # lazy: only the generator needs it

    year, mon = (int(x) for x in month.split("-"))
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    # fixed document time: byte-identical output for a seed
    wb.set_properties({"created": dt.datetime(year, mon, 28, 12, 0, 0), "author": "statmon demo-data"})
    ws = wb.add_worksheet("trajecten")
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    for j, name in enumerate(header):
        ws.write_string(0, j, name)
    n = len(rows["bsn"])
    for i in range(n):
        r = i + 1
        for j, c in enumerate(columns):
            if c == "bsn":
                if bsn_as_number:  # the legacy sheet stores the BSN as a number: no leading zero
                    ws.write_number(r, j, int(rows["bsn"][i]))
                else:
                    ws.write_string(r, j, f"{int(rows['bsn'][i]):09d}")
            elif c == "initiatief":
                ws.write_string(r, j, rows["initiatief"][i])
            elif c == "uitkomst":
                if uitkomst[i]:
                    ws.write_string(r, j, uitkomst[i])
            elif c == "uren_per_week":
                if rows["uren"][i] > 0:
                    ws.write_number(r, j, int(rows["uren"][i]))
            else:
                day = int(rows[c][i])
                if day != NONE:
                    d = to_date(day)
                    ws.write_datetime(r, j, dt.datetime(d.year, d.month, d.day), date_fmt)
    wb.close()
    return path.stat().st_size


def set_mtime(path: Path, when: dt.datetime) -> None:
    """Deterministic modification times: a delivery 'arrives' a few days after its month."""
    ts = when.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (ts, ts))

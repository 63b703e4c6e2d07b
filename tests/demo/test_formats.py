"""Every file read back in its own dialect (landing contract), independently of the generator."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from checker import bsn_ok

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DMY = re.compile(r"^\d{2}-\d{2}-\d{4}$")
BRP = re.compile(r"^\d{8}$")
BOM = b"\xef\xbb\xbf"
CANONICAL = "bsn initiatief aanmelddatum startdatum einddatum uitkomst uitkomstdatum uren_per_week".split()
# partner: (file, delimiter, encoding, BOM, date pattern) as the landing contract agrees them
CSV_PARTNERS = {
    "adviesteam": ("trajecten_adviesteam.csv", ";", "utf-8", False, ISO),
    "uaf": ("trajecten_uaf.csv", ",", "utf-8", False, ISO),
    "pasmatch": ("trajecten_pasmatch.csv", ";", "cp1252", False, DMY),
    "aandeslag": ("trajecten_aandeslag.csv", ",", "utf-8", False, ISO),
    "timnit": ("trajecten_timnit.csv", ";", "utf-8", False, DMY),
    "vluchtelingenwerk": ("trajecten_vluchtelingenwerk.csv", ";", "utf-8", True, DMY),
    "sur_atelier": ("trajecten_sur_atelier.csv", ",", "utf-8", False, ISO),
    "nova": ("trajecten_nova.csv", ";", "utf-8", True, DMY),
    "gemeente": ("trajecten_gemeente.csv", ";", "utf-8", False, ISO),
}
LEGACY_HEADERS = {
    "pasmatch": ["Burgerservicenummer", "Aanmelddatum", "Startdatum traject", "Einddatum traject", "Status",
                 "Datum status", "Uren p/w"],
    "agros": ["BSN", "Datum aanmelding", "Datum start", "Datum einde", "Resultaat", "Datum resultaat", "Uren"],
}
FIRST_DELIVERY = {"agros": "2014-01", "pasmatch": "2014-01", "uaf": "2016-01", "timnit": "2017-03",
                  "wsp": "2017-07", "sur_atelier": "2017-07", "vluchtelingenwerk": "2017-08",
                  "aandeslag": "2018-01"}


def _rows(path, delimiter=";", encoding="utf-8"):
    data = path.read_bytes()
    if data.startswith(BOM):
        data = data[3:]
    lines = data.decode(encoding).splitlines()
    return [line.split(delimiter) for line in lines]


def _months(out):
    return sorted(p for p in out.iterdir() if p.is_dir())


def test_uitkeringen_dialect(small_demo):
    out = small_demo[0]
    header = ("statistiekjaar;statistiekmaand;registratienummer_uitkering;statistiekcode;bsn;geboortedatum;geslacht;"
              "leefvorm;aanvangsdatum_uitkering;einddatum_uitkering;reden_beeindiging;kenmerk_statushouder;"
              "klantmanager_id").split(";")
    boms = set()
    for folder in _months(out):
        raw = (folder / "uitkeringen.csv").read_bytes()
        if raw.startswith(BOM):
            boms.add(folder.name)
        rows = _rows(folder / "uitkeringen.csv")
        assert rows[0] == header
        first = dt.date.fromisoformat(folder.name + "-01")
        for r in rows[1:]:
            assert len(r) == 13
            assert (int(r[0]), int(r[1])) == (first.year, first.month)
            assert ISO.match(r[8]) and (r[5] == "" or ISO.match(r[5]))
            if r[9]:  # ended: in this month, never before it (the row is there because it ran in M)
                assert r[9][:7] == folder.name
            else:
                assert r[10] == ""
            if folder.name < "2017-01":
                assert r[11] == "", "kenmerk_statushouder exists only from 2017-01"
    assert "2016-06" in boms and "2018-05" in boms and "2015-01" not in boms


def test_brp_klantbeeld_formatie_dialects(small_demo):
    out = small_demo[0]
    unknown_parts = 0
    for folder in _months(out):
        brp = _rows(folder / "brp.csv")
        assert brp[0] == ["bsn", "geboortedatum", "geslacht", "nationaliteit", "verblijfstitel",
                          "datum_ingang_verblijfstitel", "datum_vestiging_gemeente"]
        for r in brp[1:]:
            assert bsn_ok(r[0]) == r[0]
            assert r[2] in ("M", "V", "O")
            for d in (r[1], r[5], r[6]):
                assert d == "" or BRP.match(d)
                unknown_parts += d.endswith("00")
            assert r[4] == "" or re.fullmatch(r"\d{2}", r[4])
        benefits = {bsn_ok(r[4]) for r in _rows(folder / "uitkeringen.csv")[1:] if bsn_ok(r[4])}
        assert benefits <= {r[0] for r in brp[1:]}, "brp.csv holds the persons of uitkeringen.csv"
        kb = _rows(folder / "klantbeeld.csv")
        assert kb[0] == ["bsn", "klantmanager_id", "assessment_datum", "plan_van_aanpak_datum", "advies_route",
                         "afstand_arbeidsmarkt", "laatste_contact_datum"]
        assert len({r[0] for r in kb[1:]}) == len(kb) - 1, "one row per client"
        for r in kb[1:]:
            assert all(d == "" or DMY.match(d) for d in (r[2], r[3], r[6]))
            assert r[4] in ("", "werk", "onderwijs", "participatie", "zorg")
            assert r[5] in ("", "overbrugbaar", "onoverbrugbaar")
        fo = _rows(folder / "formatie.csv")
        assert fo[0] == ["maand", "team", "klantmanager_id", "fte"]
        assert all(r[0] == folder.name and re.fullmatch(r"\d,\d{2}", r[3]) for r in fo[1:])
    assert unknown_parts > 0, "BRP dates with 00 parts"


@pytest.mark.parametrize("partner", sorted(CSV_PARTNERS))
def test_partner_csv_dialect(small_demo, partner):
    out = small_demo[0]
    name, delimiter, encoding, bom, date = CSV_PARTNERS[partner]
    seen = 0
    for folder in _months(out):
        for path in folder.glob(name.replace(".csv", "*.csv")):
            seen += 1
            raw = path.read_bytes()
            assert raw.startswith(BOM) == bom, path
            rows = _rows(path, delimiter, encoding)
            legacy = partner in LEGACY_HEADERS and folder.name < "2018-01"
            expected = LEGACY_HEADERS[partner] if legacy else CANONICAL
            assert rows[0][:len(expected)] == expected, path
            dates = [1, 2, 3, 5] if legacy else [2, 3, 4, 6]
            for r in rows[1:]:
                assert all(r[i] == "" or date.match(r[i]) for i in dates), (path, r)
    assert seen > 0


def test_pasmatch_is_windows_1252(small_demo):
    """Its accents are cp1252 bytes: a UTF-8 reader fails, a cp1252 reader does not."""
    path = small_demo[0] / "2017-06" / "trajecten_pasmatch.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert "cliënt" in path.read_bytes().decode("cp1252") or "geïnteresseerd" in path.read_bytes().decode("cp1252")


@pytest.mark.parametrize("partner", ["agros", "wsp"])
def test_partner_xlsx_dialect(small_demo, partner):
    from openpyxl import load_workbook

    out = small_demo[0]
    seen_dates = 0
    for folder in _months(out):
        path = folder / f"trajecten_{partner}.xlsx"
        if not path.exists():
            continue
        wb = load_workbook(path, read_only=True)
        assert wb.sheetnames == ["trajecten"]
        rows = list(wb["trajecten"].iter_rows(values_only=True))
        wb.close()
        legacy = partner in LEGACY_HEADERS and folder.name < "2018-01"
        assert list(rows[0]) == (LEGACY_HEADERS[partner] if legacy else CANONICAL)
        date_cols = [1, 2, 3, 5] if legacy else [2, 3, 4, 6]
        for r in rows[1:]:
            for i in date_cols:
                assert r[i] is None or isinstance(r[i], dt.datetime), "Excel dates, not text"
                seen_dates += r[i] is not None
            if legacy:
                assert isinstance(r[0], int), "the legacy sheet stores the BSN as a number"
                assert r[4] in (None, "Loopt", "Werk", "Stage", "Uitval", "Afgerond", "Afgebroken")
            else:
                assert isinstance(r[0], str) and len(r[0]) == 9
    assert seen_dates > 0


def test_partners_deliver_from_their_start(small_demo):
    out = small_demo[0]
    for partner, first in FIRST_DELIVERY.items():
        months = sorted(p.parent.name for p in out.glob(f"*/trajecten_{partner}.*"))
        assert months[0] == first, partner


def test_redelivered_and_missing_partner_files(small_demo):
    out = small_demo[0]
    v1, v2 = out / "2017-11" / "trajecten_timnit.csv", out / "2017-11" / "trajecten_timnit_v2.csv"
    assert v2.stat().st_mtime > v1.stat().st_mtime
    rows1, rows2 = _rows(v1), _rows(v2)
    assert len(rows1) == len(rows2)
    changed = [(a, b) for a, b in zip(rows1, rows2) if a != b]
    assert len(changed) == 1 and changed[0][0][5] == "STAGE" and changed[0][1][5] != "STAGE"
    assert not (out / "2016-08" / "trajecten_pasmatch.csv").exists()
    assert (out / "2016-07" / "trajecten_pasmatch.csv").exists() and (out / "2016-09" / "trajecten_pasmatch.csv").exists()

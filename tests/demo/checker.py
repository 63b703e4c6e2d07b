"""An independent check of the memo's figures (../shared/specs/memo_figures.csv).

Two halves, so the same figure logic can later be pointed at the warehouse:
- `read_deliveries(raw_dir)` reads a raw directory with plain pandas/openpyxl, following the landing
  contract (its own small dialect table below: it shares nothing with the generator or the
  ingestion code), into canonical frames keyed by `person` (the 9-digit BSN here; a pseudonym
  would do as well);
- `memo_figures(frames)` computes every figure from those frames, following the mart contract's
  definitions: statushouder = ever `kenmerk_statushouder = J` or ever an asylum title; on benefit =
  a statistiekcode 01 row in the month's delivery; a benefit ended in M = the latest delivery
  containing it gives an einddatum in M; a trajectory's state as of M = the latest delivery of its
  partner up to M that contains it; trajectory figures count statushouders only.
Frames built from intermediate dbt models with the same columns (person = person_id) can be
passed to `memo_figures` unchanged.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

ASYLUM_TITLES = {"26", "27", "91", "92"}
WORK_REASONS = {"11", "13"}
STUDY_REASONS = {"01"}
KNOWN_REASONS = {"01", "02", "03", "04", "05", "06", "07", "11", "13", "14", "15", "17", "18", "19", "31", "32",
                 "33", "34", "35", "97", "98"}
WS = " \t\u00a0"

# partner -> (extension, delimiter, encoding, date format); from the landing contract's table
DIALECTS = {
    "adviesteam": ("csv", ";", "utf-8-sig", "%Y-%m-%d"),
    "uaf": ("csv", ",", "utf-8-sig", "%Y-%m-%d"),
    "agros": ("xlsx", None, None, None),
    "pasmatch": ("csv", ";", "cp1252", "%d-%m-%Y"),
    "aandeslag": ("csv", ",", "utf-8-sig", "%Y-%m-%d"),
    "timnit": ("csv", ";", "utf-8-sig", "%d-%m-%Y"),
    "vluchtelingenwerk": ("csv", ";", "utf-8-sig", "%d-%m-%Y"),
    "wsp": ("xlsx", None, None, None),
    "sur_atelier": ("csv", ",", "utf-8-sig", "%Y-%m-%d"),
    "nova": ("csv", ";", "utf-8-sig", "%d-%m-%Y"),
    "gemeente": ("csv", ";", "utf-8-sig", "%Y-%m-%d"),
}
LEGACY = {
    "agros": ({"BSN": "bsn", "Datum aanmelding": "aanmelddatum", "Datum start": "startdatum",
               "Datum einde": "einddatum", "Resultaat": "uitkomst", "Datum resultaat": "uitkomstdatum",
               "Uren": "uren_per_week"}, "AGROS",
              {"Loopt": "LOPEND", "Werk": "WERK", "Stage": "STAGE", "Uitval": "UITGEVALLEN", "Afgerond": "AFGEROND"}),
    "pasmatch": ({"Burgerservicenummer": "bsn", "Aanmelddatum": "aanmelddatum",
                  "Startdatum traject": "startdatum", "Einddatum traject": "einddatum", "Status": "uitkomst",
                  "Datum status": "uitkomstdatum", "Uren p/w": "uren_per_week"}, "PASMATCH",
                 {"actief": "LOPEND", "plaatsing": "WERK", "stageplaats": "STAGE", "gestopt": "UITGEVALLEN",
                  "klaar": "AFGEROND"}),
}
OUTCOMES = {"LOPEND", "WERK", "STAGE", "BBL", "OPLEIDING_MBO", "OPLEIDING_HBO_WO", "VOORSCHAKEL", "VOORGESTELD",
            "DOORVERWEZEN", "ON_HOLD", "UITGEVALLEN", "AFGEROND"}


@lru_cache(maxsize=None)
def bsn_ok(text: str) -> str | None:
    """The contract's identity rule: trim, pad 8 digits, 11-check. Returns the 9-digit BSN or None."""
    text = text.strip(WS)
    if re.fullmatch(r"\d{8}", text):
        text = "0" + text
    if not re.fullmatch(r"\d{9}", text):
        return None
    total = sum(int(d) * w for d, w in zip(text, (9, 8, 7, 6, 5, 4, 3, 2, -1)))
    return text if total % 11 == 0 and total != 0 else None


def _date(text, fmt: str):
    if isinstance(text, (dt.datetime, dt.date)):
        return text.date() if isinstance(text, dt.datetime) else text
    text = (text or "").strip(WS)
    return dt.datetime.strptime(text, fmt).date() if text else None


def _csv(path: Path, delimiter: str = ";", encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """Rows as dicts of trimmed strings (spaces and non-breaking spaces), header from line 1."""
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = [h.strip(WS) for h in next(reader)]
        return [dict(zip(header, (v.strip(WS) for v in row))) for row in reader]


@dataclass
class Frames:
    months: list[str]
    benefits: pd.DataFrame      # month, reg, code, person, leefvorm, start, end, reden, kenmerk, geslacht, km, geboortedatum
    brp: pd.DataFrame           # month, person, verblijfstitel, nationaliteit, geslacht, BRP dates (text)
    klantbeeld: pd.DataFrame    # month, person, assessment, pva, afstand, contact
    formatie: pd.DataFrame      # month, team, km, fte
    trajectories: pd.DataFrame  # month, partner, person, initiatief, aanmelddatum, startdatum, einddatum, uitkomst, uitkomstdatum
    quarantined: dict


def newest_partner_files(folder: Path) -> dict[str, Path]:
    """A partner file delivered again for the same month: the newest version counts."""
    return {p: max(paths, key=lambda x: (x.stat().st_mtime, x.name)) for p, paths in _partner_files(folder).items()}


def oldest_partner_files(folder: Path) -> dict[str, Path]:
    """The wrong choice, for tests that show a re-delivery matters."""
    return {p: min(paths, key=lambda x: (x.stat().st_mtime, x.name)) for p, paths in _partner_files(folder).items()}


def _partner_files(folder: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        m = re.fullmatch(r"trajecten_([a-z_]+?)(?:_v\d+)?\.(csv|xlsx)", path.name)
        if m and m.group(1) in DIALECTS:
            found.setdefault(m.group(1), []).append(path)
    return found


def _read_partner(path: Path, partner: str, month: str) -> tuple[list[dict], int]:
    """Canonical trajectory rows of one partner file, and the number of rows that cannot be placed."""
    kind, delimiter, encoding, fmt = DIALECTS[partner]
    if kind == "xlsx":
        from openpyxl import load_workbook
        wb = load_workbook(path, read_only=True)
        sheet = list(wb["trajecten"].iter_rows(values_only=True))
        wb.close()
        header = [str(h) for h in sheet[0]]
        records = [dict(zip(header, r)) for r in sheet[1:]]
    else:
        records = _csv(path, delimiter, encoding)
    legacy = LEGACY.get(partner)
    if legacy and records and legacy[0].keys() <= records[0].keys():
        headers, initiative, values = legacy
        records = [{**{headers.get(k, k): v for k, v in r.items()}, "initiatief": initiative} for r in records]
        for r in records:
            v = r["uitkomst"]
            r["uitkomst"] = values.get(str(v).strip(WS), "onbekend") if v not in (None, "") else ""
    rows, bad = [], 0
    for r in records:
        raw_bsn = r["bsn"]
        bsn = bsn_ok(str(int(raw_bsn)) if isinstance(raw_bsn, (int, float)) else str(raw_bsn or ""))
        aanmeld = _date(r["aanmelddatum"], fmt)
        if bsn is None or aanmeld is None:
            bad += 1
            continue
        uitkomst = str(r["uitkomst"] or "").strip(WS)
        if uitkomst and uitkomst not in OUTCOMES:
            uitkomst = "onbekend"
        rows.append({"month": month, "partner": partner, "person": bsn, "initiatief": str(r["initiatief"]).strip(WS),
                     "aanmelddatum": aanmeld, "startdatum": _date(r["startdatum"], fmt),
                     "einddatum": _date(r["einddatum"], fmt), "uitkomst": uitkomst,
                     "uitkomstdatum": _date(r["uitkomstdatum"], fmt)})
    return rows, bad


def _dates(values: list[str], fmt: str) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object).replace("", None), format=fmt)


ALL_SOURCES = ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten")


def read_deliveries(raw_dir: Path, choose=newest_partner_files, sources=ALL_SOURCES) -> Frames:
    """Every month folder of raw_dir; `sources` limits what is read (the frames of the others
    stay empty), for checks that need the benefits only at national scale."""
    raw_dir = Path(raw_dir)
    months = sorted(p.name for p in raw_dir.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name))
    benefits, brp, kb, formatie, traj = [], [], [], [], []
    quarantined = {"uitkeringen": 0, "trajecten": 0, "uitkeringen_regs": [], "uitkeringen_rows": 0}
    for month in months:
        folder = raw_dir / month
        for r in _csv(folder / "uitkeringen.csv"):
            assert f"{int(r['statistiekjaar']):04d}-{int(r['statistiekmaand']):02d}" == month
            quarantined["uitkeringen_rows"] += 1
            person = bsn_ok(r["bsn"])
            if person is None:
                quarantined["uitkeringen"] += 1
                quarantined["uitkeringen_regs"].append(r["registratienummer_uitkering"])
                continue
            benefits.append((month, r["registratienummer_uitkering"], r["statistiekcode"], person, r["leefvorm"],
                             r["aanvangsdatum_uitkering"], r["einddatum_uitkering"], r["reden_beeindiging"],
                             r["kenmerk_statushouder"], r["geslacht"], r["klantmanager_id"], r["geboortedatum"]))
        if "brp" in sources:
            for r in _csv(folder / "brp.csv"):
                brp.append((month, bsn_ok(r["bsn"]), r["verblijfstitel"], r["nationaliteit"], r["geslacht"],
                            r["datum_ingang_verblijfstitel"], r["datum_vestiging_gemeente"]))
        if "klantbeeld" in sources:
            for r in _csv(folder / "klantbeeld.csv"):
                kb.append((month, bsn_ok(r["bsn"]), r["assessment_datum"], r["plan_van_aanpak_datum"],
                           r["afstand_arbeidsmarkt"], r["laatste_contact_datum"]))
        if "formatie" in sources:
            for r in _csv(folder / "formatie.csv"):
                formatie.append((r["maand"], r["team"], r["klantmanager_id"], float(r["fte"].replace(",", "."))))
        for partner, path in sorted(choose(folder).items()) if "trajecten" in sources else ():
            rows, bad = _read_partner(path, partner, month)
            quarantined["trajecten"] += bad
            traj.extend(rows)
    b = pd.DataFrame(benefits, columns=["month", "reg", "code", "person", "leefvorm", "start", "end", "reden",
                                        "kenmerk", "geslacht", "km", "geboortedatum"])
    b["start"] = pd.to_datetime(b["start"], format="%Y-%m-%d")
    b["end"] = pd.to_datetime(b["end"].replace("", None), format="%Y-%m-%d")
    k = pd.DataFrame(kb, columns=["month", "person", "assessment", "pva", "afstand", "contact"])
    for c in ("assessment", "pva", "contact"):
        k[c] = pd.to_datetime(k[c].replace("", None), format="%d-%m-%Y")
    return Frames(
        months, b,
        pd.DataFrame(brp, columns=["month", "person", "verblijfstitel", "nationaliteit", "geslacht",
                                   "datum_ingang_verblijfstitel", "datum_vestiging_gemeente"]),
        k, pd.DataFrame(formatie, columns=["month", "team", "km", "fte"]),
        pd.DataFrame(traj, columns=["month", "partner", "person", "initiatief", "aanmelddatum", "startdatum",
                                    "einddatum", "uitkomst", "uitkomstdatum"]),
        quarantined)


# ---------------------------------------------------------------------------------------------
def statushouders(fr: Frames) -> set[str]:
    registered = set(fr.benefits.loc[fr.benefits["kenmerk"] == "J", "person"])
    derived = set(fr.brp.loc[fr.brp["verblijfstitel"].isin(ASYLUM_TITLES), "person"].dropna())
    return registered | derived


def on_benefit(fr: Frames, month: str) -> set[str]:
    b = fr.benefits
    return set(b.loc[(b["month"] == month) & (b["code"] == "01"), "person"])


def households(fr: Frames, month: str, persons: set[str]) -> pd.Series:
    b = fr.benefits
    rows = b[(b["month"] == month) & (b["code"] == "01") & b["person"].isin(persons)]
    latest = rows.sort_values(["person", "start"]).groupby("person").tail(1)
    return latest.set_index("person")["leefvorm"].map(
        lambda lf: "alleenstaand" if lf == "1" else ("gezin" if lf in ("2", "3") else "anders"))


def endings(fr: Frames, sh: set[str]) -> pd.DataFrame:
    """Statushouder 01 benefits by the month their latest delivery says they ended, with reason group."""
    b = fr.benefits[fr.benefits["code"] == "01"]
    latest_month = b.groupby("reg")["month"].max().rename("latest")
    last = b.merge(latest_month, left_on="reg", right_index=True)
    last = last[last["month"] == last["latest"]]
    is_sh = last.groupby("reg")["person"].agg(lambda ps: any(p in sh for p in ps))
    last = last.drop_duplicates("reg").set_index("reg")
    last = last[is_sh.reindex(last.index).fillna(False).astype(bool) & last["end"].notna()]

    def group(r: str) -> str:
        return "werk" if r in WORK_REASONS else ("studie" if r in STUDY_REASONS else "overig")

    return pd.DataFrame({"end_month": last["end"].dt.strftime("%Y-%m"), "group": last["reden"].map(group)})


def trajectory_states(fr: Frames, as_of: str, sh: set[str]) -> pd.DataFrame:
    """Statushouder trajectories existing as of `as_of`, each in its latest state up to then, with
    the outcomes any delivery up to then showed (and the uitkomstdatum each was first seen with)."""
    t = fr.trajectories[fr.trajectories["month"] <= as_of]
    t = t[t["person"].isin(sh)]
    key = ["partner", "person", "initiatief", "aanmelddatum"]
    t = t.sort_values("month")
    state = t.groupby(key, as_index=False).tail(1).copy()
    running = (state["uitkomst"] == "") & state["einddatum"].isna()
    state.loc[running, "uitkomst"] = "LOPEND"
    seen = t[t["uitkomst"] != ""].drop_duplicates(key + ["uitkomst"])
    ever = seen.groupby(key).apply(lambda g: dict(zip(g["uitkomst"], g["uitkomstdatum"])), include_groups=False)
    state = state.set_index(key)
    state["ever"] = ever.reindex(state.index)
    state["ever"] = state["ever"].apply(lambda e: e if isinstance(e, dict) else {})
    return state.reset_index()


def _where(df: pd.DataFrame, col: str, first: str, last: str) -> pd.DataFrame:
    """Rows whose date column lies in [first, last]."""
    return df.loc[[_between(d, first, last) for d in df[col]]] if len(df) else df


def _count(df: pd.DataFrame, col: str, first: str, last: str) -> int:
    return len(_where(df, col, first, last))


def _between(d, first: str, last: str) -> bool:
    return d is not None and not pd.isna(d) and dt.date.fromisoformat(first) <= d <= dt.date.fromisoformat(last)


def not_in_view(fr: Frames, month: str, sh: set[str], states: pd.DataFrame) -> set[str]:
    """The mart contract's client_not_in_view, as of `month`."""
    months = [m for m in fr.months if m <= month]
    on = on_benefit(fr, month) & sh
    last6 = months[-6:]
    for m in last6:
        on &= on_benefit(fr, m)
    kb = fr.klantbeeld[fr.klantbeeld["month"] <= month]
    assessed = set(kb.loc[kb["assessment"].notna(), "person"]) | set(
        states.loc[states["initiatief"] == "ASSESSMENT", "person"])
    plan = set(kb.loc[kb["pva"].notna(), "person"])
    any_traj = set(states["person"])
    current = kb[kb["month"] == month].set_index("person")
    end = pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)
    out = set()
    for p in on - assessed - plan - any_traj:
        if p not in current.index:
            continue
        row = current.loc[p]
        if row["afstand"] == "onoverbrugbaar":
            continue
        if pd.notna(row["contact"]) and row["contact"] > end - pd.DateOffset(months=12):
            continue
        out.add(p)
    return out


def memo_figures(fr: Frames, as_of: str = "2018-05") -> dict[str, float]:
    sh = statushouders(fr)
    caseload = on_benefit(fr, as_of) & sh
    hh = households(fr, as_of, caseload)
    ends = endings(fr, sh)

    def ended(group: str, first: str, last: str) -> int:
        return int(((ends["group"] == group) & (ends["end_month"] >= first) & (ends["end_month"] <= last)).sum())

    st = trajectory_states(fr, as_of, sh)
    by = {code: st[st["initiatief"] == code] for code in st["initiatief"].unique()}
    empty = st.iloc[0:0]
    get = lambda code: by.get(code, empty)  # noqa: E731
    in_2017 = lambda df: _where(df, "aanmelddatum", "2017-01-01", "2017-12-31")  # noqa: E731
    advies = get("ADVIES_ONDERWIJS")
    uaf = get("UAF")
    first_advies = advies.groupby("person")["aanmelddatum"].min()
    uaf_after = uaf.loc[[p in first_advies.index and first_advies[p] < d
                         for p, d in zip(uaf["person"], uaf["aanmelddatum"])]] if len(uaf) else uaf
    timnit = get("TIMNIT")
    vip_sb = pd.concat([get("VIP"), get("STARTBAAN")])
    persons_outcome = lambda df, code: df.loc[df["uitkomst"] == code, "person"].nunique()  # noqa: E731
    hbo_years = [d.year for e in uaf["ever"] for code, d in e.items() if code == "OPLEIDING_HBO_WO"]
    startbaan_jan = _where(get("STARTBAAN"), "startdatum", "2018-01-01", "2018-01-31")
    assert set(startbaan_jan["person"]) <= set(get("VIP")["person"]), "a Startbaan of someone without VIP"
    team = fr.formatie[(fr.formatie["month"] == "2017-07") & (fr.formatie["team"] == "statushouders")]
    werk_partners = st[st["initiatief"].isin(["AGROS", "PASMATCH", "AAN_DE_SLAG"])]
    figures = {
        "statushouders_in_bijstand": len(caseload),
        "statushouders_alleenstaand": int((hh == "alleenstaand").sum()),
        "statushouders_gezin": int((hh == "gezin").sum()),
        "uitkering_beeindigd_werk_studie": ended("werk", "2017-01", as_of) + ended("studie", "2017-01", as_of),
        "uitkering_beeindigd_werk": ended("werk", "2017-01", as_of),
        "uitkering_beeindigd_studie": ended("studie", "2017-01", as_of),
        "uitstroom_werk_2017": ended("werk", "2017-01", "2017-12"),
        "uitstroom_studie_2017": ended("studie", "2017-01", "2017-12"),
        "uitstroom_werk_2018": ended("werk", "2018-01", as_of),
        "uitstroom_studie_2018": ended("studie", "2018-01", as_of),
        "aangemeld_reintegratiepartners": len(set(werk_partners["person"]) & caseload),
        "onvoldoende_in_beeld": len(not_in_view(fr, as_of, sh, st)),
        "advies_onderwijs": _count(advies, "aanmelddatum", "2017-05-01", "2018-05-31"),
        "aanmelding_uaf": len(uaf_after),
        "toeleiden_werk": len(in_2017(get("AGROS"))) + len(in_2017(get("PASMATCH"))) + len(get("AAN_DE_SLAG")),
        "aanmelding_agros": len(in_2017(get("AGROS"))),
        "aanmelding_pasmatch": len(in_2017(get("PASMATCH"))),
        "aanmelding_aan_de_slag": len(get("AAN_DE_SLAG")),
        "timnit": len(timnit),
        "timnit_voorschakel": int((timnit["uitkomst"] == "VOORSCHAKEL").sum()),
        "timnit_werk": int((timnit["uitkomst"] == "WERK").sum()),
        "timnit_voorgesteld": int((timnit["uitkomst"] == "VOORGESTELD").sum()),
        "timnit_on_hold": int((timnit["uitkomst"] == "ON_HOLD").sum()),
        "timnit_lopend": int((timnit["uitkomst"] == "LOPEND").sum()),
        "vip": _count(get("VIP"), "startdatum", "2017-09-01", "2017-09-30"),
        "vip_startbaan": len(startbaan_jan),
        "vip_werk": persons_outcome(vip_sb, "WERK"),
        "vip_stage": persons_outcome(vip_sb, "STAGE"),
        "vip_bbl": persons_outcome(vip_sb, "BBL"),
        "leerwerkstage": len(get("LEERWERKSTAGE")),
        "assessment": _count(get("ASSESSMENT"), "startdatum", "2018-01-01", "2018-05-31"),
        "sur_atelier": _count(get("SUR_ATELIER"), "aanmelddatum", "2017-07-01", "2017-09-30"),
        "voorschakel_nova": _count(get("VOORSCHAKEL"), "startdatum", "1900-01-01", "2018-05-31"),
        "voorschakel_zorg": _count(get("VOORSCHAKEL_ZORG"), "startdatum", "1900-01-01", "2018-05-31"),
        "start_hbo_wo": len(hbo_years),
        "start_hbo_wo_2016": hbo_years.count(2016),
        "start_hbo_wo_2017": hbo_years.count(2017),
        "start_hbo_wo_2018": hbo_years.count(2018),
        "werk_stageplaatsen": st.loc[st["ever"].map(lambda e: "STAGE" in e), "person"].nunique(),
        "start_bbl": st.loc[st["ever"].map(lambda e: "BBL" in e), "person"].nunique(),
        "caseload_per_klantmanager": round(len(on_benefit(fr, "2017-07") & sh) / team["fte"].sum(), 2),
    }
    return figures


def load_memo(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def compare(figures: dict, memo_rows: list[dict]) -> list[str]:
    """Differences from the memo by its `nauwkeurigheid` (exact, or within 10%). The memo's
    start_hbo_wo row also fixes its split by year (2, 14, 13)."""
    problems = []
    for row in memo_rows:
        fid, want = row["id"], float(row["waarde"])
        got = figures[fid]
        if row["nauwkeurigheid"] == "exact":
            ok = got == want
        else:
            ok = abs(got - want) <= 0.10 * want
        if not ok:
            problems.append(f"{fid}: memo {want:g} ({row['nauwkeurigheid']}), data {got}")
    return problems

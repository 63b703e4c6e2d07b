"""The council report (raadsrapportage), built from the published file only.

``build_report(published_duckdb, month, out_dir)`` writes ``raadsrapportage_<YYYY-MM>.html``: one
self-contained Dutch HTML file (inline CSS, charts as inline SVG, every chart with a data table
beside it). Because it reads only ``published.duckdb``, it shows exactly what BI users see:
suppressed figures appear as the suppression mark, sums with hidden parts as "≥ n".

The memo's figures are recomputed from the published marts; where a memo definition needs
person-level data the marts do not publish (e.g. "UAF registrations of persons who had an
ADVIES_ONDERWIJS talk first"), the report uses the nearest published figure and says so in
the table's "Bron" column.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ..config import SEEDS_DIR
from . import charts
from .format import (SUPPRESSED_MARK, SUPPRESSED_TITLE, ZERO, Figure, figure_text, long_date, month_name, number,
                     percent_text, ratio, total)

TEMPLATE = Path(__file__).with_name("template.html.j2")
CASELOAD_NORM = 80  # clients per caseworker the municipality aims for (memo: "teruggebracht naar 80")
GENDERS = [("vrouw", "Vrouwen"), ("man", "Mannen"), ("onbekend", "Onbekend")]


# --- what the template renders ---------------------------------------------------------------

@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list]  # first cell is the row header; Figures or text
    numeric_from: int = 1  # columns from here are right-aligned numbers


@dataclass
class Chart:
    svg: str
    table: Table


@dataclass
class Section:
    id: str
    heading: str
    intro: list[str] = field(default_factory=list)
    blocks: list = field(default_factory=list)  # Table, Chart or Subsection


@dataclass
class Subsection:
    heading: str
    intro: list[str] = field(default_factory=list)
    blocks: list = field(default_factory=list)


def cell_html(value) -> str:
    """One table cell's content, escaped; a hidden figure gets its explanation as abbr title."""
    from markupsafe import Markup, escape

    if isinstance(value, Figure):
        text = figure_text(value)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Figure):  # (Figure, "percent")
        text = percent_text(value[0])
        value = value[0]
    else:
        return escape("" if value is None else str(value))
    if isinstance(value, Figure) and value.hidden:
        marked = escape(text).replace(SUPPRESSED_MARK, Markup(
            f'<abbr title="{escape(SUPPRESSED_TITLE)}">{SUPPRESSED_MARK}</abbr>'))
        return Markup(marked)
    return escape(text)


# --- reading the published file ---------------------------------------------------------------

class Published:
    """The published tables, with helpers that return Figures (value + hidden)."""

    def __init__(self, path: Path):
        con = duckdb.connect(str(path), read_only=True)
        try:
            names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            self.t = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}
        finally:
            con.close()
        for df in self.t.values():
            for col in ("month", "as_of_month"):
                if col in df.columns:
                    df[col] = pd.to_datetime(df[col]).dt.date
        self.log = self.t["publication_log"].sort_values("published_at")

    @staticmethod
    def fig(row, column: str) -> Figure:
        flag = f"{column}_suppressed"
        hidden = bool(row[flag]) if flag in row and not pd.isna(row[flag]) else False
        value = row[column]
        return Figure.of(None if pd.isna(value) else value, hidden)

    def sum(self, table: str, column: str, mask) -> Figure:
        df = self.t[table][mask(self.t[table])] if mask is not None else self.t[table]
        return total(self.fig(r, column) for _, r in df.iterrows())

    def flows(self, initiatives, event: str, start: date | None, end: date, column: str = "trajectories") -> Figure:
        initiatives = [initiatives] if isinstance(initiatives, str) else list(initiatives)
        return self.sum("initiative_flows", column, lambda d: d.initiative_code.isin(initiatives)
                        & (d.event == event) & (d.month <= end) & ((d.month >= start) if start else True))

    def stock(self, initiatives, as_of: date, outcomes=None, column: str = "trajectories") -> Figure:
        initiatives = [initiatives] if isinstance(initiatives, str) else list(initiatives)
        return self.sum("initiative_outcomes", column, lambda d: d.initiative_code.isin(initiatives)
                        & (d.as_of_month == as_of) & (d.outcome_code.isin(outcomes) if outcomes else True))

    @property
    def last_month(self) -> date:
        return pd.Timestamp(self.log.iloc[-1].months_to).date()

    def _by_year(self, yearly: str, monthly, mask_yearly, first_year: int, month: date) -> Figure:
        """A figure over January of ``first_year`` up to ``month`` from the published year totals
        (one cell per year, so far less is hidden than in a sum of monthly cells). The total of
        ``month``'s own year covers it only when ``month`` is December or the last published month;
        otherwise that year is summed from its months."""
        out = ZERO
        for year in range(first_year, month.year + 1):
            if year < month.year or month.month == 12 or month == self.last_month:
                out = out + self.sum(yearly, _count_column(yearly), lambda d, y=year: (d.year == y) & mask_yearly(d))
            else:
                out = out + monthly(date(year, 1, 1), month)
        return out

    def period_flows(self, initiatives, event: str, first_year: int, month: date) -> Figure:
        """Trajectories of the initiatives with this event from January of first_year up to month."""
        initiatives = [initiatives] if isinstance(initiatives, str) else list(initiatives)
        return self._by_year("initiative_flows_yearly", lambda a, b: self.flows(initiatives, event, a, b),
                             lambda d: d.initiative_code.isin(initiatives) & (d.event == event), first_year, month)

    def period_outflow(self, group: str, first_year: int, month: date) -> Figure:
        return self._by_year("outflow_yearly", lambda a, b: self.outflow(group, a, b),
                             lambda d: d.reason_group == group, first_year, month)

    def first_year(self) -> int:
        return min(m.year for m in self.t["caseload_monthly"].month)

    def outflow(self, group: str, start: date, end: date) -> Figure:
        return self.sum("outflow_monthly", "benefits_ended",
                        lambda d: (d.reason_group == group) & (d.month >= start) & (d.month <= end))


def _count_column(table: str) -> str:
    return {"initiative_flows_yearly": "trajectories", "outflow_yearly": "benefits_ended"}[table]


def _codes(name: str, key: str = "code") -> dict[str, dict]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


# --- the sections -----------------------------------------------------------------------------

def _summary(p: Published, month: date, period_start: date) -> Section:
    c = p.t["caseload_monthly"]
    row = c[c.month == month]
    s = Section("kerncijfers", "Kerncijfers")
    if row.empty:
        s.intro.append(f"Voor {month_name(month)} is geen uitkeringsbestand gepubliceerd.")
        return s
    r = row.iloc[0]
    werk = p.period_outflow("werk", period_start.year, month)
    studie = p.period_outflow("studie", period_start.year, month)
    s.blocks.append(Table(
        f"Kerncijfers statushouders in de bijstand, {month_name(month)}",
        ["Kerncijfer", "Aantal"],
        [["Statushouders met een bijstandsuitkering", p.fig(r, "statushouders_on_benefit")],
         ["waarvan alleenstaand", p.fig(r, "single_households")],
         ["waarvan in gezinsverband", p.fig(r, "family_households")],
         [f"Uitkeringen beëindigd wegens werk of studie ({month_name(period_start)} t/m {month_name(month)})",
          werk + studie],
         ["Klanten per klantmanager", Figure.of(None if pd.isna(r.clients_per_caseworker)
                                                  else round(r.clients_per_caseworker),
                                                  bool(r.clients_per_caseworker_suppressed))]]))
    trend = c[(c.month >= period_start) & (c.month <= month)].sort_values("month")
    labels = [month_name(m) for m in trend.month]
    columns = ["statushouders_on_benefit", "single_households", "family_households", "new_on_benefit", "left_benefit"]
    figs = {col: [p.fig(r, col) for _, r in trend.iterrows()] for col in columns}
    s.blocks.append(Chart(charts.line_chart(
        "grafiek-bijstand", f"Statushouders in de bijstand per maand, {month_name(period_start)} t/m {month_name(month)}",
        "Lijndiagram van het aantal statushouders met een bijstandsuitkering per maand, in totaal, alleenstaand en "
        "in gezinsverband. De cijfers staan in de tabel hiernaast.", labels,
        [("Totaal", figs["statushouders_on_benefit"]), ("Alleenstaand", figs["single_households"]),
         ("Gezin", figs["family_households"])], "Statushouders in de bijstand"),
        Table("Statushouders in de bijstand per maand", ["Maand", "Totaal", "Alleenstaand", "Gezin", "Nieuw",
                                                          "Uitgestroomd"],
              [[label] + [figs[col][i] for col in columns] for i, label in enumerate(labels)])))
    return s


def _initiatives(p: Published, month: date, period_start: date) -> Section:
    year_start = date(month.year, 1, 1)
    per = f"{month_name(period_start)} t/m {month_name(month)}"
    s = Section("initiatieven", "Initiatieven en resultaten",
                [f"De drie tabellen van de informatienota, berekend uit de gepubliceerde cijfers. "
                 f"Periode: {per}; 'stand' is de stand eind {month_name(month)}. Een traject telt mee "
                 "als de klant statushouder is. Iemand kan meer dan één traject volgen (duale trajecten)."])
    y0 = period_start.year
    agros = p.period_flows("AGROS", "registered", y0, month)
    pasmatch = p.period_flows("PASMATCH", "registered", y0, month)
    aandeslag = p.stock("AAN_DE_SLAG", month)
    basis = [
        ["Adviesgesprekken Adviesteam Onderwijs", p.period_flows("ADVIES_ONDERWIJS", "registered", y0, month),
         f"aangemeld {per}"],
        ["waarvan aanmeldingen UAF", p.stock("UAF", month), "UAF-trajecten, stand"],
        ["Toeleiden naar werk", agros + pasmatch + aandeslag, "Agros + Pasmatch + Aan de slag"],
        ["waarvan aanmeldingen Agros", agros, f"aangemeld {per}"],
        ["waarvan aanmeldingen Pasmatch", pasmatch, f"aangemeld {per}"],
        ["waarvan aanmeldingen Aan de slag", aandeslag, "stand"],
    ]
    aanvullend = [
        ["Timnit programma", p.stock("TIMNIT", month), "stand"],
        ["Aanmeldingen VIP-traject", p.period_flows("VIP", "started", y0, month), f"gestart {per}"],
        ["Pilot leer/werkstage", p.stock("LEERWERKSTAGE", month), "stand"],
        ["Deelnemers assessment", p.period_flows("ASSESSMENT", "started", month.year, month),
         f"gestart {month_name(year_start)} t/m {month_name(month)}"],
        ["Deelnemers project Sür Atelier", p.period_flows("SUR_ATELIER", "registered", y0, month),
         f"aangemeld {per}"],
    ]
    first = p.first_year()
    hbo_by_year = [(y, p.period_flows("UAF", "outcome:OPLEIDING_HBO_WO", y, date(y, 12, 1) if y < month.year
                                      else month)) for y in range(first, month.year + 1)]
    hbo_years = ", ".join(f"{y}: {figure_text(f)}" for y, f in hbo_by_year if not (f.exact and f.value == 0))
    all_codes = list(_codes("initiatieven"))
    resultaten = [
        ["Deelnemers voorschakeltraject Nova", p.period_flows("VOORSCHAKEL", "started", first, month),
         f"gestart t/m {month_name(month)}"],
        ["Deelnemers voorschakeltraject Zorg", p.period_flows("VOORSCHAKEL_ZORG", "started", first, month),
         f"gestart t/m {month_name(month)}"],
        ["Start opleiding hbo/universiteit", p.period_flows("UAF", "outcome:OPLEIDING_HBO_WO", first, month),
         "UAF-trajecten met die uitkomst" + (f" ({hbo_years})" if hbo_years else "")],
        ["Werk- en stageplaatsen", p.period_flows(all_codes, "outcome:STAGE", first, month),
         "trajecten met uitkomst stage, alle initiatieven"],
        ["Start bbl-opleiding", p.period_flows(all_codes, "outcome:BBL", first, month),
         "trajecten met uitkomst bbl, alle initiatieven"],
        ["Uitkering beëindigd i.v.m. werk", p.period_outflow("werk", y0, month), f"beëindigd {per}"],
        ["Uitkering beëindigd i.v.m. studie", p.period_outflow("studie", y0, month), f"beëindigd {per}"],
    ]
    for caption, rows in ((f"Initiatieven {period_start.year} en/of {month.year} (basis)", basis),
                          (f"Initiatieven {period_start.year} en/of {month.year} (aanvullend)", aanvullend),
                          (f"Resultaten {period_start.year} en/of {month.year}", resultaten)):
        s.blocks.append(Table(caption, ["Initiatief", "Aantal", "Bron"], rows))
    return s


def _outcome_matrix(p: Published, month: date) -> Table:
    """Every initiative's trajectories by outcome, as of the month: the results of each initiative."""
    names = {k: v["naam"] for k, v in _codes("initiatieven").items()}
    io = p.t["initiative_outcomes"]
    now = io[io.as_of_month == month]
    outcomes = [code for code in _codes("uitkomst") if (now.outcome_code == code).any()]
    rows = []
    for code, name in names.items():
        mine = now[now.initiative_code == code]
        if mine.empty:
            continue
        cells = [total(p.fig(r, "trajectories") for _, r in mine[mine.outcome_code == o].iterrows()) for o in outcomes]
        rows.append([name, total(p.fig(r, "trajectories") for _, r in mine.iterrows())] + cells)
    return Table(f"Trajecten per initiatief naar uitkomst, stand {month_name(month)}",
                 ["Initiatief", "Totaal"] + [OUTCOME_SHORT.get(o, o) for o in outcomes], rows)


def _outflow(p: Published, month: date, period_start: date) -> Section:
    o = p.t["outflow_monthly"]
    months = [m for m in sorted(p.t["caseload_monthly"].month) if period_start <= m <= month]
    werk = [p.outflow("werk", m, m) for m in months]
    studie = [p.outflow("studie", m, m) for m in months]
    labels = [month_name(m) for m in months]
    rows = [[label, w, st] for label, w, st in zip(labels, werk, studie)]
    s = Section("uitstroom", "Uitstroom naar werk en studie",
                ["Beëindigde bijstandsuitkeringen van statushouders met als reden werk of het starten van een "
                 "opleiding, per maand en per jaar."])
    s.blocks.append(Chart(charts.bar_chart(
        "grafiek-uitstroom-maand", f"Uitstroom naar werk en studie per maand, {month_name(period_start)} "
        f"t/m {month_name(month)}",
        "Staafdiagram met per maand het aantal beëindigde uitkeringen wegens werk en wegens studie. "
        "De cijfers staan in de tabel hiernaast.", labels, [("Werk", werk), ("Studie", studie)],
        "Beëindigde uitkeringen"),
        Table("Uitstroom naar werk en studie per maand", ["Maand", "Werk", "Studie"], rows)))
    years = sorted({m.year for m in o.month if m <= month})
    year_rows = []
    for y in years:
        end = min(month, date(y, 12, 1))
        label = str(y) if end.month == 12 else f"{y} (t/m {month_name(end)})"
        year_rows.append([label, p.period_outflow("werk", y, end), p.period_outflow("studie", y, end)])
    s.blocks.append(Table("Uitstroom naar werk en studie per jaar", ["Jaar", "Werk", "Studie"], year_rows))
    return s


def _cohorts(p: Published) -> Section:
    s = Section("cohorten", "Cohort 2014/2015 en latere cohorten",
                ["Volgens de opzet van de CBS-cohortmonitor: per jaar van de verblijfsvergunning (of van vestiging "
                 "in de gemeente) het aandeel van de statushouders dat na 6, 12, 18, ... maanden bijstand "
                 "ontvangt, en het aandeel dat tot dan toe is uitgestroomd naar werk. Een cohort verschijnt pas "
                 "voor een duur als ieder lid die duur kan hebben bereikt."])
    for table, label, key in (("cohort_progress", "verblijfsvergunning", "vergunning"),
                              ("cohort_progress_settlement", "vestiging in de gemeente", "vestiging")):
        df = p.t[table]
        sub = Subsection(f"Cohorten naar jaar van {label}")
        if df.empty:
            sub.intro.append("Nog geen cohortcijfers gepubliceerd.")
            s.blocks.append(sub)
            continue
        ns = sorted(df.months_since_permit.unique())
        years = sorted(df.cohort_year.unique())
        bench, work = [], []
        for y in years:
            rows = {int(r.months_since_permit): r for _, r in df[df.cohort_year == y].iterrows()}
            size = p.fig(next(iter(rows.values())), "persons")
            label_y = f"{y}" + (" (groep 2014/2015)" if y in (2014, 2015) else "")
            bench.append([label_y, size] + [(ratio(p.fig(rows[n], "on_benefit"), p.fig(rows[n], "persons")), "%")
                                           if n in rows else "" for n in ns])
            work.append([label_y, size] + [(ratio(p.fig(rows[n], "outflow_work"), p.fig(rows[n], "persons")), "%")
                                          if n in rows else "" for n in ns])
        columns = ["Cohort", "Personen"] + [f"{n} mnd" for n in ns]
        sub.intro.append(_group_2014_2015(p, df))
        series = []
        for y in years[-4:]:
            rows = {int(r.months_since_permit): r for _, r in df[df.cohort_year == y].iterrows()}
            series.append((str(y), [ratio(p.fig(rows[n], "on_benefit"), p.fig(rows[n], "persons"))
                                    if n in rows else Figure(None) for n in ns]))
        sub.blocks.append(Chart(charts.line_chart(
            f"grafiek-cohort-{key}", f"Aandeel in de bijstand naar duur sinds {label}",
            f"Lijndiagram met per cohort (jaar van {label}, de laatste vier cohorten) het percentage dat na "
            "6, 12, 18 ... maanden bijstand ontvangt. Alle cohorten staan in de tabel hiernaast.",
            [f"{n} mnd" for n in ns], series, "In de bijstand", as_percent=True),
            Table(f"Aandeel in de bijstand, per cohort naar jaar van {label} en duur", columns, bench)))
        sub.blocks.append(Table(f"Aandeel uitgestroomd naar werk (cumulatief), per cohort naar jaar van {label}",
                                columns, work))
        s.blocks.append(sub)
    return s


def _group_2014_2015(p: Published, df: pd.DataFrame) -> str:
    """One sentence on the 2014/2015 group (the memo could not report on it): both cohorts
    together, at the longest duration both have reached."""
    group = df[df.cohort_year.isin([2014, 2015])]
    shared = sorted(set(group[group.cohort_year == 2014].months_since_permit)
                    & set(group[group.cohort_year == 2015].months_since_permit))
    if not shared:
        return "Voor de groep 2014/2015 zijn nog geen cohortcijfers gepubliceerd."
    rows = group[group.months_since_permit == shared[-1]]
    persons = total(p.fig(r, "persons") for _, r in rows.iterrows())
    on_benefit = total(p.fig(r, "on_benefit") for _, r in rows.iterrows())
    work = total(p.fig(r, "outflow_work") for _, r in rows.iterrows())
    return (f"Groep 2014/2015 samen: {figure_text(persons)} statushouders; na {shared[-1]} maanden ontvangt "
            f"{percent_text(ratio(on_benefit, persons))} van hen bijstand en is {percent_text(ratio(work, persons))} "
            "uitgestroomd naar werk.")


def _women(p: Published, month: date, period_start: date) -> Section:
    s = Section("vrouwen", "Participatie van vrouwen",
                ["Het aanbod geldt voor mannen én vrouwen. Hieronder het bereik per geslacht: wie een traject "
                 "volgt, wie een assessment heeft gehad, en de uitstroom."])
    pg = p.t["participation_by_gender"]
    now = pg[pg.month == month]
    rows, share_traj, share_ass = [], [], []
    for code, label in GENDERS:
        r = now[now.gender == code]
        if r.empty:
            continue
        r = r.iloc[0]
        n = p.fig(r, "statushouders_on_benefit")
        in_traj, assessed = p.fig(r, "in_trajectory"), p.fig(r, "assessed")
        period = (pg.gender == code) & (pg.month >= period_start) & (pg.month <= month)
        w = p.sum("participation_by_gender", "ended_work", lambda d: period)
        st = p.sum("participation_by_gender", "ended_study", lambda d: period)
        rows.append([label, n, in_traj, (ratio(in_traj, n), "%"), assessed, (ratio(assessed, n), "%"), w, st])
        share_traj.append((label, ratio(in_traj, n)))
        share_ass.append((label, ratio(assessed, n)))
    table = Table(f"Statushouders in de bijstand naar geslacht, {month_name(month)}; uitstroom "
                  f"{month_name(period_start)} t/m {month_name(month)}",
                  ["Geslacht", "In de bijstand", "In een traject", "% in traject", "Assessment gehad",
                   "% assessment", "Uitstroom werk", "Uitstroom studie"], rows)
    labels = [label for label, _ in share_traj]
    s.blocks.append(Chart(charts.bar_chart(
        "grafiek-vrouwen", f"Aandeel in een traject en met assessment naar geslacht, {month_name(month)}",
        "Staafdiagram met per geslacht het percentage statushouders in de bijstand dat een traject volgt en dat "
        "een assessment heeft gehad. De cijfers staan in de tabel hiernaast.", labels,
        [("In een traject", [f for _, f in share_traj]), ("Assessment gehad", [f for _, f in share_ass])],
        "Percentage", as_percent=True), table))
    names = {k: v["naam"] for k, v in _codes("initiatieven").items()}
    fl = p.t["initiative_flows"]
    flow_rows = []
    for code in names:
        if not ((fl.initiative_code == code) & (fl.event == "registered")).any():
            continue
        cells = []
        for g, _ in GENDERS:
            cells.append(p.sum("initiative_flows", "clients", lambda d, g=g: (d.initiative_code == code)
                               & (d.gender == g) & (d.event == "registered") & (d.month >= period_start)
                               & (d.month <= month)))
        flow_rows.append([names[code]] + cells)
    s.blocks.append(Table(f"Aanmeldingen per initiatief naar geslacht (klanten), {month_name(period_start)} "
                          f"t/m {month_name(month)}", ["Initiatief"] + [label for _, label in GENDERS], flow_rows))
    return s


OUTCOME_SHORT = {"LOPEND": "loopt nog", "WERK": "werk", "STAGE": "stage", "BBL": "bbl", "OPLEIDING_MBO": "mbo",
                 "OPLEIDING_HBO_WO": "hbo/wo", "VOORSCHAKEL": "voorschakel", "VOORGESTELD": "voorgesteld",
                 "DOORVERWEZEN": "doorverwezen", "ON_HOLD": "on hold", "UITGEVALLEN": "uitgevallen",
                 "AFGEROND": "afgerond"}


def _timnit(p: Published, month: date) -> Section:
    outcomes = {k: v["omschrijving"] for k, v in _codes("uitkomst").items()}
    order = {code: i for i, code in enumerate(outcomes)}
    io = p.t["initiative_outcomes"]
    now = io[(io.initiative_code == "TIMNIT") & (io.as_of_month == month)]
    now = now.assign(_order=now.outcome_code.map(lambda c: order.get(c, len(order)))).sort_values("_order")
    found = [(r.outcome_code, p.fig(r, "trajectories")) for _, r in now.iterrows()]
    rows = [[f"{OUTCOME_SHORT.get(code, code)}: {outcomes.get(code, code)}", f] for code, f in found]
    rows.append(["Totaal", total(f for _, f in found)])
    s = Section("timnit", "Resultaten Timnit",
                ["Het Timnit-programma (empowermenttraining) en de stand van de deelnemers, naar uitkomst."])
    s.blocks.append(Chart(charts.bar_chart(
        "grafiek-timnit", f"Timnit-deelnemers naar uitkomst, stand {month_name(month)}",
        "Staafdiagram met het aantal Timnit-trajecten per uitkomst. De cijfers staan in de tabel hiernaast.",
        [OUTCOME_SHORT.get(code, code) for code, _ in found], [("Trajecten", [f for _, f in found])], "Trajecten"),
        Table(f"Timnit-trajecten naar uitkomst, stand {month_name(month)}", ["Uitkomst", "Trajecten"], rows)))
    return s


def _staff(p: Published, month: date, period_start: date) -> Section:
    c = p.t["caseload_monthly"]
    rows_df = c[(c.month >= period_start) & (c.month <= month)].sort_values("month")
    rows, ratios = [], []
    for _, r in rows_df.iterrows():
        n = p.fig(r, "statushouders_on_benefit")
        fte = Figure.of(None if pd.isna(r.caseworker_fte) else r.caseworker_fte)
        per = Figure.of(None if pd.isna(r.clients_per_caseworker) else round(r.clients_per_caseworker, 1),
                        bool(r.clients_per_caseworker_suppressed))
        needed = Figure(round(n.value / CASELOAD_NORM, 1)) if n.exact else Figure(None, n.hidden)
        gap = Figure(round(needed.value - fte.value, 1)) if needed.exact and fte.exact else Figure(None, needed.hidden)
        rows.append([month_name(r.month), n, _one_decimal(fte), _one_decimal(per), _one_decimal(needed),
                     _one_decimal(gap)])
        ratios.append(per)
    s = Section("caseload", "Caseload per klantmanager en benodigde formatie",
                [f"Het team statushouders werkt met een norm van {CASELOAD_NORM} klanten per klantmanager. "
                 f"De benodigde formatie is het aantal statushouders in de bijstand gedeeld door {CASELOAD_NORM}."])
    s.blocks.append(Chart(charts.line_chart(
        "grafiek-caseload", "Klanten per klantmanager (fte) per maand",
        f"Lijndiagram van het aantal statushouders in de bijstand per fte klantmanager, met de norm van "
        f"{CASELOAD_NORM} als stippellijn. De cijfers staan in de tabel hiernaast.",
        [row[0] for row in rows], [("Klanten per fte", ratios)], "Klanten per fte",
        reference=(CASELOAD_NORM, f"norm {CASELOAD_NORM}")),
        Table("Caseload en formatie per maand", ["Maand", "Statushouders in de bijstand", "Formatie (fte)",
                                                 "Klanten per fte", f"Benodigd bij {CASELOAD_NORM} (fte)",
                                                 "Verschil (fte)"], rows)))
    return s


def _one_decimal(f: Figure) -> Figure:
    return f.printed_with(1)


def _quality(p: Published, month: date, period_start: date) -> Section:
    c = p.t["caseload_monthly"]
    rows_df = c[(c.month >= period_start) & (c.month <= month)].sort_values("month")
    rows = [[month_name(r.month), p.fig(r, "statushouders_on_benefit"), p.fig(r, "registration_missing"),
             (ratio(p.fig(r, "registration_missing"), p.fig(r, "statushouders_on_benefit")), "%")]
            for _, r in rows_df.iterrows() if not pd.isna(r.registration_missing) or r.registration_missing_suppressed]
    log = p.log.iloc[-1]
    s = Section("datakwaliteit", "Datakwaliteit",
                ["Sinds januari 2017 legt de gemeente de status statushouder apart vast. Statushouders zonder dat "
                 "kenmerk worden gevonden via hun verblijfstitel in de BRP; hieronder hoeveel statushouders in de "
                 "bijstand alleen zo zijn gevonden.",
                 f"Deze rapportage gebruikt de publicatie van {long_date(pd.Timestamp(log.published_at).date())} "
                 f"(maanden {month_name(pd.Timestamp(log.months_from).date())} t/m "
                 f"{month_name(pd.Timestamp(log.months_to).date())}). In die publicatie zijn "
                 f"{number(log.suppressed_cells)} cijfers afgeschermd en {number(log.revisions)} eerder "
                 "gepubliceerde cijfers herzien (door nieuwe of gecorrigeerde leveringen)."])
    s.blocks.append(Table("Statushouders in de bijstand die alleen via de BRP zijn gevonden",
                          ["Maand", "Statushouders in de bijstand", "Alleen via BRP gevonden", "Aandeel"], rows))
    return s


# --- building ---------------------------------------------------------------------------------

def default_month(published_duckdb: Path) -> date:
    """The last published month."""
    con = duckdb.connect(str(published_duckdb), read_only=True)
    try:
        value = con.execute("SELECT months_to FROM publication_log ORDER BY published_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    if not value or value[0] is None:
        raise ValueError(f"{published_duckdb} covers no month")
    return value[0]


def build_report(published_duckdb: Path, month: str | None, out_dir: Path) -> Path:
    """Write ``out_dir/raadsrapportage_<YYYY-MM>.html`` for ``month`` ('YYYY-MM'; default the last
    published month) from the published file, and return its path."""
    import jinja2

    from ..publish.core import parse_month

    published_duckdb = Path(published_duckdb)
    report_month = parse_month(month) if month else default_month(published_duckdb)
    p = Published(published_duckdb)
    covered_to = pd.Timestamp(p.log.iloc[-1].months_to).date()
    if report_month > covered_to:
        raise ValueError(f"{month_name(report_month)} is not published (published up to {month_name(covered_to)})")
    period_start = date(report_month.year - 1, 1, 1)
    sections = [
        _summary(p, report_month, period_start),
        _initiatives(p, report_month, period_start),
        _outflow(p, report_month, period_start),
        _cohorts(p),
        _women(p, report_month, period_start),
        _timnit(p, report_month),
        _staff(p, report_month, period_start),
        _quality(p, report_month, period_start),
    ]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(cell=cell_html, Table=Table, Chart=Chart, Subsection=Subsection,
                       is_table=lambda b: isinstance(b, Table), is_chart=lambda b: isinstance(b, Chart),
                       is_sub=lambda b: isinstance(b, Subsection))
    html = env.get_template(TEMPLATE.name).render(
        title=f"Raadsrapportage statushouders {month_name(report_month)}",
        month=month_name(report_month), period=f"{month_name(period_start)} t/m {month_name(report_month)}",
        sections=sections, mark=SUPPRESSED_MARK, mark_title=SUPPRESSED_TITLE,
        published_at=long_date(pd.Timestamp(p.log.iloc[-1].published_at).date()))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"raadsrapportage_{report_month:%Y-%m}.html"
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(html, encoding="utf-8")
    temp.replace(target)
    return target

"""The grain of a flow figure: the finest of month, quarter and year at which most of its cells
survive suppression, chosen from the published data every month (the rule is printed in the
report's method section, ``RULE_TEXT``).

A flow (new on benefit, outflow by reason, registrations per initiative, ...) is published per
month and as quarter and year totals (publish/tables.py). A quarter or year that is not complete
at the report month is summed from its months, unless the report month is the last published
month (then the published total covers exactly those months).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import pandas as pd

from .format import Figure, month_name, total

GRAINS = ("maand", "kwartaal", "jaar")
MOST = 0.5  # "most cells": more than half publishable
RULE_TEXT = (
    "Stromen (nieuw in de bijstand, uitgestroomd, uitstroom naar reden, aanmeldingen en uitkomsten per "
    "initiatief, uitstroom naar geslacht) tonen we per maand, per kwartaal of per jaar: de fijnste indeling "
    "waarbij meer dan de helft van de cijfers van de figuur in de rapportageperiode gepubliceerd kan worden "
    "(niet afgeschermd; cijfers die nul zijn tellen niet mee). Lukt dat zelfs per jaar niet, dan tonen we de cijfers per jaar. De keuze wordt elke "
    "maand opnieuw uit de gepubliceerde cijfers gemaakt; de maandcijfers staan in de bijlage. Standen (het "
    "aantal statushouders in de bijstand) blijven per maand.")
QUARTER_NAMES = ("1e", "2e", "3e", "4e")


@dataclass(frozen=True)
class Period:
    grain: str
    start: date  # first month
    end: date  # last month the figure covers (capped at the report month)
    complete: bool  # the whole quarter or year lies within the report period

    @property
    def label(self) -> str:
        if self.grain == "maand":
            return month_name(self.start)
        if self.grain == "kwartaal":
            text = f"{QUARTER_NAMES[(self.start.month - 1) // 3]} kwartaal {self.start.year}"
        else:
            text = str(self.start.year)
        return text if self.complete else f"{text} (t/m {month_name(self.end)})"


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def periods(grain: str, first: date, last: date) -> list[Period]:
    """The months, quarters or years from ``first`` to ``last`` (first is a January)."""
    step = {"maand": 1, "kwartaal": 3, "jaar": 12}[grain]
    start = {"maand": first, "kwartaal": date(first.year, 3 * ((first.month - 1) // 3) + 1, 1),
             "jaar": date(first.year, 1, 1)}[grain]
    out = []
    while start <= last:
        end = _add_months(start, step - 1)
        out.append(Period(grain, start, min(end, last), end <= last))
        start = _add_months(start, step)
    return out


@dataclass(frozen=True)
class Flow:
    """One series of a flow figure: a column of a monthly published table (e.g. outflow_monthly
    benefits_ended) and of its quarter and year totals (``<base>_quarterly`` / ``_yearly``),
    with a filter that applies to all three (on the keys they share)."""
    name: str
    monthly: str
    base: str
    column: str
    mask: Callable[[pd.DataFrame], pd.Series] | None = None


@dataclass
class GrainChoice:
    figure: str
    grain: str
    publishable: dict[str, float]  # share of exact cells per grain tried
    periods: list[Period]
    values: dict[str, list[Figure]]  # series name -> one Figure per period


def flow_value(p, flow: Flow, period: Period) -> Figure:
    """The published figure of ``flow`` in ``period`` (see the module's doc for partial periods)."""
    def rows(table, where):
        df = p.t[table]
        keep = where(df)
        if flow.mask is not None:
            keep &= flow.mask(df)
        return total(p.fig(r, flow.column) for _, r in df[keep].iterrows())

    if period.grain == "maand":
        return rows(flow.monthly, lambda d: d.month == period.start)
    if period.complete or period.end == p.last_month:
        if period.grain == "kwartaal":
            table = f"{flow.base}_quarterly"
            return rows(table, lambda d: pd.to_datetime(d.quarter).dt.date == period.start)
        return rows(f"{flow.base}_yearly", lambda d: d.year == period.start.year)
    return rows(flow.monthly, lambda d: (d.month >= period.start) & (d.month <= period.end))


def choose(p, figure: str, flows: list[Flow], first: date, last: date) -> GrainChoice:
    """The finest grain at which most cells of the figure are publishable (else the year)."""
    shares: dict[str, float] = {}
    chosen = None
    for grain in GRAINS:
        spans = periods(grain, first, last)
        values = {f.name: [flow_value(p, f, s) for s in spans] for f in flows}
        # a zero is always publishable and says little: the share counts the other cells
        cells = [v for series in values.values() for v in series if v.hidden or v.value]
        shares[grain] = sum(1 for v in cells if not v.hidden) / len(cells) if cells else 1.0
        chosen = GrainChoice(figure, grain, shares, spans, values)
        if shares[grain] > MOST:
            break
    return chosen

"""Dutch number, percentage and date formats, and figures that may be suppressed.

A ``Figure`` is a published number, or a sum of published numbers, with what the reader must
know about it: hidden (suppressed) entirely, or a lower bound because some of its parts are
hidden. The report prints a hidden figure as ``SUPPRESSED_MARK``: the published files do not
say which hidden figures are the small ones (1..4) and which were hidden to protect them (saying
so would let a reader compute the small ones back), so one mark covers both.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december"]
# CBS's sign for "geheim": hidden for confidentiality, whatever the size. Printing "<5" would be
# false for figures hidden only to protect a small one (they can be any size).
SUPPRESSED_MARK = "×"
SUPPRESSED_TITLE = ("afgeschermd: een aantal van 1 tot en met 4, of een aantal waaruit zo'n klein aantal "
                    "terug te rekenen zou zijn")


@dataclass(frozen=True)
class Figure:
    value: float | None  # the sum of the visible parts (None: nothing known)
    hidden: bool = False  # at least one part is suppressed
    decimals: int = 0  # how it is printed (fte: 1)

    def printed_with(self, decimals: int) -> "Figure":
        return Figure(self.value, self.hidden, decimals)

    @classmethod
    def of(cls, value, suppressed: bool = False) -> "Figure":
        if suppressed:
            return cls(None, True)
        return cls(None if value is None else float(value), False)

    def __add__(self, other: "Figure") -> "Figure":
        if self.value is None and other.value is None:
            return Figure(None, self.hidden or other.hidden)
        return Figure((self.value or 0.0) + (other.value or 0.0), self.hidden or other.hidden)

    @property
    def exact(self) -> bool:
        return not self.hidden and self.value is not None

    @property
    def is_lower_bound(self) -> bool:
        return self.hidden and bool(self.value)


ZERO = Figure(0.0)


def total(figures) -> Figure:
    out = ZERO
    for f in figures:
        out = out + f
    return out


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234.5 -> '1.234,5' (Dutch grouping and decimal comma)."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value: float | None, decimals: int = 1) -> str:
    """0.125 -> '12,5%'."""
    return "–" if value is None else f"{number(value * 100, decimals)}%"


def signed(value: float, decimals: int = 1) -> str:
    """3.24 -> '+3,2', -8.1 -> '−8,1' (a minus sign, not a hyphen), 0.01 -> '0,0'."""
    text = number(abs(value), decimals)
    if round(value, decimals) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


def month_name(d: date) -> str:
    """date(2018, 5, 1) -> 'mei 2018'."""
    return f"{MONTHS_NL[d.month - 1]} {d.year}"


def long_date(d: date) -> str:
    return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"


def figure_text(f: Figure, decimals: int | None = None) -> str:
    """Plain text of a figure: '1.234', '×' (hidden), '≥ 37' (sum with hidden parts)."""
    decimals = f.decimals if decimals is None else decimals
    if f.hidden and not f.value:
        return SUPPRESSED_MARK
    if f.hidden:
        return f"≥ {number(f.value, decimals)}"
    return number(f.value, decimals)


def ratio(numerator: Figure, denominator: Figure) -> Figure:
    """A share of two figures: hidden when either is not exact (a ratio over a suppressed count
    would give it back)."""
    if not numerator.exact or not denominator.exact or not denominator.value:
        return Figure(None, numerator.hidden or denominator.hidden)
    return Figure(numerator.value / denominator.value)


def percent_text(f: Figure) -> str:
    if f.hidden:
        return SUPPRESSED_MARK
    return percent(f.value)

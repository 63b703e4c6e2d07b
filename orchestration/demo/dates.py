"""Dates as int32 day numbers (days since 1970-01-01) and months as int month numbers (months since
1970-01), so a whole population's dates live in numpy arrays."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

NONE = np.int32(2**31 - 1)  # "no date" (running benefit, not started, ...)
EPOCH = dt.date(1970, 1, 1)


def month_no(text: str) -> int:
    """'2014-01' -> months since 1970-01."""
    year, month = text.split("-")
    return (int(year) - 1970) * 12 + int(month) - 1


def month_text(m: int) -> str:
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


def day_no(year: int, month: int, day: int) -> int:
    return (dt.date(year, month, day) - EPOCH).days


def day_of(text: str) -> int:
    """'2017-05-01' -> day number."""
    return (dt.date.fromisoformat(text) - EPOCH).days


def month_first_day(m: int) -> int:
    return day_no(1970 + m // 12, m % 12 + 1, 1)


def month_last_day(m: int) -> int:
    return month_first_day(m + 1) - 1


@lru_cache(maxsize=None)
def month_of_day(day: int) -> int:
    """Month number of one day number (the scalar months_of_days, for loops over persons)."""
    d = EPOCH + dt.timedelta(days=int(day))
    return (d.year - 1970) * 12 + d.month - 1


def months_of_days(days: np.ndarray) -> np.ndarray:
    """Month number of each day number (NONE stays a huge month number)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return np.where(days == NONE, np.int64(NONE), out)


def iso(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM-DD' strings ('' for NONE)."""
    days = np.asarray(days, dtype=np.int64)
    text = np.datetime_as_string(np.where(days == NONE, 0, days).astype("datetime64[D]"), unit="D")
    return np.where(days == NONE, "", text).astype(object)


def dmy(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'DD-MM-YYYY' strings ('' for NONE)."""
    text = iso(days)
    return np.array([f"{t[8:10]}-{t[5:7]}-{t[0:4]}" if t else "" for t in text], dtype=object)


def ymd_compact(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYYMMDD' strings ('' for NONE)."""
    text = iso(days)
    return np.array([t.replace("-", "") for t in text], dtype=object)


def to_date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))

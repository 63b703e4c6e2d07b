"""Small helpers for the DuckDB warehouse shared by every writer."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def transaction(con) -> Iterator[None]:
    """One DuckDB transaction: committed when the block ends, rolled back on any exception
    (a killed process never commits an open transaction either)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")

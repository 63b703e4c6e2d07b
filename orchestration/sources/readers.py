"""Readers for every delivery dialect of the registry. Each reader turns one file into a DuckDB
temporary table of raw text, one VARCHAR column per canonical column, plus `row_number` (the
file's 1-based data row, header excluded; for xlsx the sheet row minus the header row), and a
second temporary table of malformed rows (row_number, message) that could not be split into the
header's fields.

- CSV: DuckDB `read_csv` with all columns VARCHAR, the registry's delimiter and our own header
  (parsed here, so that header aliases and layouts are chosen on the header actually present).
  Rows with too few or too many fields (a truncated last line, a stray delimiter) are caught by
  DuckDB's `store_rejects` and become malformed rows. UTF-8 files are handed to DuckDB as they
  are; Windows-1252 files are decoded in Python and handed over as a temporary UTF-8 copy
  (DuckDB reads no Windows-1252). Nothing in raw/ is written.
- XLSX: openpyxl (read_only); date cells become ISO text, numbers plain text (an Excel serial
  date in a date column is converted in SQL). Formula cells are read as their formula text
  (`=HYPERLINK(...)` stays inert text), never evaluated.

A file that cannot be read at all raises `DeliveryUnreadable` with a message for a data steward:
which file, what is wrong, what was expected.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.sources.registry import Kind, Layout, Source, normalise_header

CANDIDATE_DELIMITERS = (";", ",", "\t", "|")


class DeliveryUnreadable(Exception):
    """The file cannot be read at all; the message is meant for a data steward."""


@dataclass
class RawBatch:
    table: str              # temp table: row_number INTEGER, one VARCHAR per canonical column
    malformed_table: str    # temp table: row_number INTEGER, message VARCHAR
    rows_read: int          # rows in `table`
    rows_malformed: int     # rows in `malformed_table`
    layout: str
    notes: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return self.rows_read + self.rows_malformed


def _temp_name(prefix: str) -> str:
    return f"_{prefix}_{uuid.uuid4().hex[:12]}"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _choose_layout(header: list[str], source: Source, kind: Kind, file_label: str) -> tuple[Layout, dict[int, str], list[str]]:
    """The first layout whose required columns are all present. Returns it, the map of header
    position -> canonical column, and the header names that map to nothing (ignored)."""
    normalised = [normalise_header(h) for h in header]
    attempts = []
    for layout in source.layouts:
        positions: dict[int, str] = {}
        for i, name in enumerate(normalised):
            canonical = layout.headers.get(name)
            if canonical is None:
                continue
            if canonical in positions.values():
                raise DeliveryUnreadable(
                    f"{file_label}: column '{canonical}' appears more than once in the header "
                    f"(header: {', '.join(header)}). Expected each column once."
                )
            positions[i] = canonical
        required = [c.name for c in kind.columns if c.required and c.name not in layout.constants]
        missing = [c for c in required if c not in positions.values()]
        if not missing:
            ignored = [header[i] for i in range(len(header)) if i not in positions and header[i].strip()]
            return layout, positions, ignored
        attempts.append((len(missing), layout, missing))
    attempts.sort(key=lambda a: a[0])
    _, layout, missing = attempts[0]
    expected_headers = {v: k for k, v in layout.headers.items()}
    missing_names = [expected_headers.get(m, m) for m in missing]
    message = (
        f"{file_label}: required column(s) missing: {', '.join(missing_names)}"
        f" (closest layout: {layout.name}; header found: {' | '.join(header) if header else '(none)'})."
    )
    if source.format == "csv" and len(header) == 1:
        others = [d for d in CANDIDATE_DELIMITERS if d != source.delimiter and d in header[0]]
        if others:
            message += (
                f" The header has one column and contains '{others[0]}': the file seems to use "
                f"'{others[0]}' as delimiter; the registry expects '{source.delimiter}'."
            )
    if len(source.layouts) > 1:
        message += f" Accepted layouts: {', '.join(l.name for l in source.layouts)}."
    raise DeliveryUnreadable(message)


def _canonical_select(kind: Kind, layout: Layout, positions: dict[int, str], raw_table: str) -> str:
    """SELECT list of canonical raw-text columns from a table with columns c0..cN."""
    by_column = {canonical: f"c{i}" for i, canonical in positions.items()}
    parts = []
    for col in kind.columns:
        if col.name in layout.constants:
            value = layout.constants[col.name].replace("'", "''")
            parts.append(f"'{value}'::VARCHAR AS {_quote_ident(col.name)}")
        elif col.name in by_column:
            parts.append(f"{by_column[col.name]} AS {_quote_ident(col.name)}")
        else:
            parts.append(f"NULL::VARCHAR AS {_quote_ident(col.name)}")
    return ", ".join(parts)


def _layout_notes(layout: Layout, ignored: list[str], kind: Kind, positions: dict[int, str]) -> list[str]:
    notes = []
    if layout.name != "canonical":
        notes.append(f"header layout '{layout.name}'")
    if ignored:
        notes.append(f"unknown column(s) ignored: {', '.join(ignored)}")
    absent = [c.name for c in kind.columns
              if not c.required and c.name not in positions.values() and c.name not in layout.constants]
    if absent:
        notes.append(f"optional column(s) absent, loaded empty: {', '.join(absent)}")
    return notes


# ---------------------------------------------------------------------------------------------
# CSV

def _decode_csv(data: bytes, source: Source, file_label: str) -> tuple[str, bool]:
    """The file's text and whether it had a UTF-8 BOM. Raises DeliveryUnreadable for what is not
    a text file in the registry's encoding."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DeliveryUnreadable(f"{file_label}: the file is empty ({len(data)} bytes). Expected a CSV with a header row.")
    if data[:4] == b"PK\x03\x04":
        raise DeliveryUnreadable(
            f"{file_label}: this is a ZIP/Excel (.xlsx) file named .csv, not a CSV. "
            f"Expected {source.describe_dialect()}."
        )
    if b"\x00" in data[:65536]:
        raise DeliveryUnreadable(
            f"{file_label}: this is a binary file, not a CSV text file (it contains NUL bytes). "
            f"Expected {source.describe_dialect()}."
        )
    has_bom = data.startswith(b"\xef\xbb\xbf")
    if source.python_encoding == "utf-8":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            hint = ""
            try:
                data.decode("cp1252")
                hint = " It decodes as Windows-1252: re-export it as UTF-8 (or change the registry's encoding)."
            except UnicodeDecodeError:
                pass
            raise DeliveryUnreadable(
                f"{file_label}: not valid UTF-8 (byte 0x{data[err.start]:02X} on line {line}); "
                f"the registry expects UTF-8.{hint}"
            ) from None
        return text, has_bom
    # Windows-1252: strictly decoded; a file that is really UTF-8 would decode to mojibake
    # ("Ã©" for "é"), so a valid UTF-8 file with non-ASCII characters is refused.
    if has_bom:
        raise DeliveryUnreadable(
            f"{file_label}: the file starts with a UTF-8 byte order mark, but the registry expects "
            f"{source.encoding}. Re-export it as {source.encoding} (or change the registry's encoding)."
        )
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        try:
            data.decode("utf-8")
            raise DeliveryUnreadable(
                f"{file_label}: the file is UTF-8 encoded, but the registry expects {source.encoding}. "
                f"Re-export it as {source.encoding} (or change the registry's encoding)."
            )
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(source.python_encoding), False
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DeliveryUnreadable(
            f"{file_label}: not valid {source.encoding} (byte 0x{data[err.start]:02X} on line {line})."
        ) from None


def read_csv_delivery(con, path: Path, data: bytes, source: Source, kind: Kind, file_label: str) -> RawBatch:
    text, has_bom = _decode_csv(data, source, file_label)
    if text.startswith("\ufeff"):
        text = text[1:]
    end = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=len(text))
    first_line = text[:end]
    header = next(csv.reader(io.StringIO(first_line), delimiter=source.delimiter, quotechar='"'), [])
    header = [h.strip() for h in header]
    layout, positions, ignored = _choose_layout(header, source, kind, file_label)
    notes = _layout_notes(layout, ignored, kind, positions)
    if has_bom and not source.bom:
        notes.append("file has a UTF-8 byte order mark (not expected)")

    raw_table, malformed_table = _temp_name("raw"), _temp_name("malformed")
    rejects_table, rejects_scan = _temp_name("rejects"), _temp_name("rejscan")
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    delim = source.delimiter.replace("'", "''")

    with tempfile.TemporaryDirectory(prefix="statmon_csv_") as tmp:
        if source.python_encoding == "utf-8":
            read_path = path
        else:  # DuckDB reads UTF-8 only: hand it a decoded copy, never touching raw/
            read_path = Path(tmp) / "decoded.csv"
            read_path.write_text(text, encoding="utf-8", newline="")
        scan = (
            f"""
            CREATE TEMP TABLE {raw_table}_scan AS
            SELECT * FROM read_csv(?, header = false, skip = 1, delim = '{delim}', quote = '"',
                                   escape = '"', columns = {columns}, auto_detect = false,
                                   strict_mode = true, null_padding = false, parallel = false,
                                   store_rejects = true, rejects_table = '{rejects_table}',
                                   rejects_scan = '{rejects_scan}')
            """
        )
        try:
            con.execute(scan, [str(read_path)])
        except duckdb.Error as err:  # what store_rejects cannot catch, e.g. a line over the size limit
            con.execute(f"DROP TABLE IF EXISTS {rejects_table}; DROP TABLE IF EXISTS {rejects_scan}")
            raise DeliveryUnreadable(
                f"{file_label}: the file cannot be read as CSV ({str(err).splitlines()[0]}). "
                f"Expected {source.describe_dialect()}."
            ) from None
    # Data row numbers. DuckDB keeps the good rows in file order (rowid); a rejected record is
    # reported by its file line, header = line 1. The good rows take the data-row numbers that
    # the rejected records do not use, in order.
    con.execute(
        f"""
        CREATE TEMP TABLE {malformed_table} AS
        SELECT CAST(line - 1 AS INTEGER) AS row_number,
               CASE
                   WHEN error_type = 'MISSING COLUMNS' THEN
                       'row has ' || coalesce(regexp_extract(error_message, 'Found: ([0-9]+)', 1), 'too few')
                       || ' fields, the header has {len(header)} (a truncated or incomplete line?)'
                   WHEN error_type = 'TOO MANY COLUMNS' THEN
                       'row has ' || coalesce(regexp_extract(error_message, 'Found: ([0-9]+)', 1), 'too many')
                       || ' fields, the header has {len(header)} (a delimiter inside an unquoted value?)'
                   WHEN error_type = 'UNQUOTED VALUE' THEN
                       'a value has an unterminated or misplaced quote (\"); the rest of the file from this row on '
                       || 'could not be split into fields'
                   ELSE 'row could not be read: ' || coalesce(error_message, lower(error_type), 'unknown error')
               END AS message
        FROM (SELECT line, arg_min(error_type, coalesce(column_idx, 0)) AS error_type,
                     arg_min(error_message, coalesce(column_idx, 0)) AS error_message
              FROM {rejects_table} GROUP BY line)
        """
    )
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}; DROP TABLE IF EXISTS {rejects_scan}")
    rows_read = con.execute(f"SELECT count(*) FROM {raw_table}_scan").fetchone()[0]
    rows_malformed = con.execute(f"SELECT count(*) FROM {malformed_table}").fetchone()[0]
    if text.count('"') % 2:
        # An unterminated quote swallows the rest of the file into one value, and DuckDB may drop
        # that last record without a reject. Count the lines it did not return as malformed rows,
        # so that no row disappears silently (rows in = loaded + quarantined).
        data_lines = sum(1 for line in text.splitlines()[1:] if line.strip())
        first_lost = rows_read + rows_malformed + 1
        lost = data_lines - (first_lost - 1)
        if lost > 0:
            con.execute(
                f"""INSERT INTO {malformed_table}
                    SELECT n, CASE WHEN n = {first_lost} THEN
                        'a value has an unterminated or misplaced quote ("); the rest of the file from this row on '
                        || 'could not be split into fields'
                        ELSE 'not read: follows the unterminated quote (") on row {first_lost}' END
                    FROM range({first_lost}, {first_lost + lost}) t(n)
                    WHERE n NOT IN (SELECT row_number FROM {malformed_table})"""
            )
            rows_malformed = con.execute(f"SELECT count(*) FROM {malformed_table}").fetchone()[0]
    select = _canonical_select(kind, layout, positions, raw_table)
    if rows_malformed == 0:
        # a view: renaming the columns of a national-scale file is not worth a copy
        con.execute(
            f"CREATE TEMP VIEW {raw_table} AS SELECT CAST(rowid + 1 AS INTEGER) AS row_number, {select} "
            f"FROM {raw_table}_scan"
        )
    else:
        total = rows_read + rows_malformed
        con.execute(
            f"""
            CREATE TEMP TABLE {raw_table} AS
            WITH free AS (
                SELECT n AS row_number, row_number() OVER (ORDER BY n) AS ordinal
                FROM range(1, greatest({total}, (SELECT max(row_number) FROM {malformed_table})) + 1) t(n)
                WHERE n NOT IN (SELECT row_number FROM {malformed_table})
            )
            SELECT CAST(free.row_number AS INTEGER) AS row_number, {select}
            FROM {raw_table}_scan s JOIN free ON free.ordinal = s.rowid + 1
            """
        )
        con.execute(f"DROP TABLE {raw_table}_scan")
    if rows_malformed:
        notes.append(f"{rows_malformed} malformed row(s) quarantined")
    return RawBatch(raw_table, malformed_table, rows_read, rows_malformed, layout.name, notes)


# ---------------------------------------------------------------------------------------------
# XLSX

def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_xlsx_delivery(con, path: Path, data: bytes, source: Source, kind: Kind, file_label: str) -> RawBatch:
    import openpyxl  # lazy: only partners with xlsx deliveries need it

    if not data:
        raise DeliveryUnreadable(f"{file_label}: the file is empty (0 bytes). Expected an .xlsx workbook.")
    if data[:4] != b"PK\x03\x04":
        raise DeliveryUnreadable(
            f"{file_label}: not an Excel .xlsx workbook (an .xlsx file is a ZIP archive; this one is not). "
            f"Expected {source.describe_dialect()}."
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as err:  # openpyxl raises many kinds for damaged workbooks
        raise DeliveryUnreadable(f"{file_label}: the workbook cannot be opened ({type(err).__name__}: {err}).") from None
    try:
        sheet_names = workbook.sheetnames
        wanted = next((n for n in sheet_names if n.strip().casefold() == source.sheet.casefold()), None)
        if wanted is None:
            raise DeliveryUnreadable(
                f"{file_label}: the workbook has no sheet '{source.sheet}' (sheets: {', '.join(sheet_names)}). "
                f"Expected the trajectories on a sheet named '{source.sheet}'."
            )
        rows = workbook[wanted].iter_rows(values_only=True)
        header_row_index = None
        header: list[str] = []
        for index, row in enumerate(rows, start=1):
            if any(v is not None and str(v).strip() for v in row):
                header = [(_cell_text(v) or "").strip() for v in row]
                header_row_index = index
                break
        if header_row_index is None:
            raise DeliveryUnreadable(f"{file_label}: sheet '{wanted}' is empty. Expected a header row and data rows.")
        while header and not header[-1]:
            header.pop()
        layout, positions, ignored = _choose_layout(header, source, kind, file_label)
        width = len(header)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        row_numbers: list[int] = []
        extra_cells = 0
        for index, row in enumerate(rows, start=header_row_index + 1):
            texts = [_cell_text(v) for v in row[:width]]
            if not any(t is not None and t.strip() for t in texts):
                continue  # an empty sheet row is not a data row (its number stays unused)
            if any(v is not None for v in row[width:]):
                extra_cells += 1
            texts += [None] * (width - len(texts))
            row_numbers.append(index - header_row_index)
            for i, t in enumerate(texts):
                columns[i].append(t)
    finally:
        workbook.close()

    notes = _layout_notes(layout, ignored, kind, positions)
    if extra_cells:
        notes.append(f"{extra_cells} row(s) with values right of the last header column (ignored)")
    raw_table, malformed_table = _temp_name("raw"), _temp_name("malformed")
    # The columns go to DuckDB as list parameters, zipped back into rows by unnest (no pyarrow:
    # it imports pandas, ~1.4 s, for a few hundred partner rows).
    cells = ", ".join(f"unnest(${i + 2}::VARCHAR[]) AS c{i}" for i in range(width))
    rows_view = f"(SELECT unnest($1::INTEGER[]) AS row_number{', ' + cells if cells else ''})"
    select = _canonical_select(kind, layout, positions, rows_view)
    con.execute(f"CREATE TEMP TABLE {raw_table} AS SELECT row_number, {select} FROM {rows_view}",
                [row_numbers, *columns])
    con.execute(f"CREATE TEMP TABLE {malformed_table} (row_number INTEGER, message VARCHAR)")
    return RawBatch(raw_table, malformed_table, len(row_numbers), 0, layout.name, notes)


def read_delivery(con, path: Path, data: bytes, source: Source, kind: Kind, file_label: str) -> RawBatch:
    """Read one delivery file (its bytes already read once, for the hash) into temp tables."""
    if source.format == "xlsx":
        return read_xlsx_delivery(con, path, data, source, kind, file_label)
    return read_csv_delivery(con, path, data, source, kind, file_label)


def drop_batch(con, batch: RawBatch | None) -> None:
    """Drop the temporary tables (or view) of a read batch."""
    if batch is not None:
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [batch.table]
        ).fetchone()
        if kind and kind[0] == "VIEW":
            con.execute(f"DROP VIEW {batch.table}")
        con.execute(f"DROP TABLE IF EXISTS {batch.table}; DROP TABLE IF EXISTS {batch.table}_scan; "
                    f"DROP TABLE IF EXISTS {batch.malformed_table}")

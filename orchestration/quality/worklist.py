"""The stewards' review without SQL (`statmon dq`): data-quality issues grouped by rule, with
counts and the rows to fix, from marts.dq_issues and the quarantine.

Reads the warehouse or the published stewards' file (stewards.duckdb: tables dq_issues and
quarantine in its main schema), opened read-only; while a run holds the warehouse for writing,
the stewards' file published beside it is read instead. Formats:
- table: text for the terminal (the first rows of each rule);
- csv:   one file, every issue and quarantined row, sorted by rule;
- xlsx:  a summary sheet and one sheet per rule, plus the quarantine, with filters.
Every text value is written as text: a value that starts with = + - @ (a formula in Excel) is
never turned into a live formula (explicit string cells and quote prefix in xlsx, a leading
apostrophe in csv)."""
from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ISSUE_COLUMNS = ("rule_id", "severity", "status", "source", "record_key", "first_seen_month", "last_seen_month", "detail")
# Columns the dbt model adds beyond the contract; shown when present (where to look, who waived).
OPTIONAL_ISSUE_COLUMNS = ("source_file", "source_row", "waived_until", "waived_by", "waiver_reason")
QUARANTINE_COLUMNS = ("delivery_month", "source", "source_file", "row_number", "column_name", "value", "rule", "message", "record_key")
STATUS_ORDER = {"open": 0, "waived": 1, "resolved": 2}
TABLE_ROWS_PER_RULE = 20
# Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class WorklistError(RuntimeError):
    pass


@dataclass
class Worklist:
    month: str | None
    issues: list[dict]
    quarantine: list[dict]
    extra_columns: tuple[str, ...] = ()

    def rules(self) -> list[str]:
        return sorted({row["rule_id"] for row in self.issues})

    def summary(self) -> list[dict]:
        rows = []
        for rule in self.rules():
            of_rule = [r for r in self.issues if r["rule_id"] == rule]
            counts = {status: sum(1 for r in of_rule if r["status"] == status) for status in STATUS_ORDER}
            rows.append({"rule_id": rule, "severity": max((r["severity"] for r in of_rule), key=lambda s: s == "error"),
                         **counts, "total": len(of_rule)})
        return rows

    def quarantine_summary(self) -> list[dict]:
        rules = sorted({row["rule"] for row in self.quarantine})
        return [{"rule": rule, "rows": sum(1 for r in self.quarantine if r["rule"] == rule)} for rule in rules]


def _find_table(con, name: str, preferred_schema: str) -> str | None:
    schemas = [row[0] for row in con.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ? "
        "ORDER BY table_schema = ? DESC, table_schema = 'main' DESC", [name, preferred_schema]).fetchall()]
    return f'"{schemas[0]}"."{name}"' if schemas else None


def _connect_read_only(warehouse: Path):
    """A read-only connection to the warehouse; while a run holds it for writing, the published
    stewards' file beside it (written at the end of every run) is read instead, with a note."""
    import duckdb

    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        from orchestration.publish.core import STEWARDS_FILE

        stewards = warehouse.parent / STEWARDS_FILE
        if stewards.exists() and stewards != warehouse:
            print(f"note: {warehouse} is being written by a run; reading the published {stewards}", file=sys.stderr)
            return duckdb.connect(str(stewards), read_only=True)
        raise WorklistError(
            f"{warehouse} is being written by a run and no published stewards' file ({stewards}) exists yet: "
            "try again when the run has finished"
        ) from error


def read_worklist(warehouse: Path, month: str | None) -> Worklist:
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise WorklistError(f"{warehouse} does not exist: give the warehouse or the stewards' file with --warehouse")
    con = _connect_read_only(warehouse)
    try:
        issues_table = _find_table(con, "dq_issues", "marts")
        if issues_table is None:
            raise WorklistError(f"{warehouse} has no dq_issues table: run `statmon run` first")
        quarantine_table = _find_table(con, "quarantine", "landing")
        schema, table = (part.strip('"') for part in issues_table.split("."))
        present = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [schema, table]).fetchall()}
        missing = [c for c in ISSUE_COLUMNS if c not in present]
        if missing:
            raise WorklistError(f"{issues_table} in {warehouse} lacks column(s) {', '.join(missing)} of the mart contract")
        extra = tuple(c for c in OPTIONAL_ISSUE_COLUMNS if c in present)
        month_start = dt.date.fromisoformat(f"{month}-01") if month else None
        where, params = "", []
        if month_start:
            where, params = "WHERE first_seen_month <= ? AND last_seen_month >= ?", [month_start, month_start]
        issue_rows = con.execute(
            f"""SELECT {', '.join(ISSUE_COLUMNS + extra)} FROM {issues_table} {where}
                ORDER BY rule_id, CASE status WHEN 'open' THEN 0 WHEN 'waived' THEN 1 ELSE 2 END,
                         source, record_key, first_seen_month""",
            params,
        ).fetchall()
        quarantine_rows = []
        if quarantine_table:
            q_where, q_params = ("WHERE delivery_month = ?", [month_start]) if month_start else ("", [])
            quarantine_rows = con.execute(
                f"SELECT {', '.join(QUARANTINE_COLUMNS)} FROM {quarantine_table} {q_where} "
                "ORDER BY rule, delivery_month, source, source_file, row_number",
                q_params,
            ).fetchall()
    finally:
        con.close()
    return Worklist(
        month=month,
        issues=[dict(zip(ISSUE_COLUMNS + extra, row)) for row in issue_rows],
        quarantine=[dict(zip(QUARANTINE_COLUMNS, row)) for row in quarantine_rows],
        extra_columns=extra,
    )


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m") if value.day == 1 and not isinstance(value, dt.datetime) else str(value)
    return str(value)


def render_table(worklist: Worklist) -> str:
    """Plain text: the summary, then the first rows of each rule."""
    scope = f"month {worklist.month}" if worklist.month else "all months"
    lines = [f"Data-quality issues, {scope}", ""]
    summary = worklist.summary()
    if not summary and not worklist.quarantine:
        return "\n".join(lines + ["No issues and no quarantined rows."])
    lines.append(f"{'rule':<36} {'severity':<8} {'open':>6} {'waived':>7} {'resolved':>9} {'total':>6}")
    for row in summary:
        lines.append(f"{row['rule_id']:<36} {row['severity']:<8} {row['open']:>6} {row['waived']:>7} {row['resolved']:>9} {row['total']:>6}")
    for row in worklist.quarantine_summary():
        lines.append(f"{'quarantine: ' + row['rule']:<36} {'':<8} {row['rows']:>6}")
    for rule in worklist.rules():
        rows = [r for r in worklist.issues if r["rule_id"] == rule]
        lines += ["", f"== {rule} ({len(rows)})"]
        for r in rows[:TABLE_ROWS_PER_RULE]:
            lines.append(f"  [{r['status']}] {r['source']} {r['record_key']} "
                         f"({_display(r['first_seen_month'])}..{_display(r['last_seen_month'])}): {r['detail']}")
        if len(rows) > TABLE_ROWS_PER_RULE:
            lines.append(f"  ... and {len(rows) - TABLE_ROWS_PER_RULE} more (use --format xlsx or csv for all)")
    if worklist.quarantine:
        lines += ["", f"== quarantine ({len(worklist.quarantine)} rows)"]
        for r in worklist.quarantine[:TABLE_ROWS_PER_RULE]:
            lines.append(f"  {r['source_file']} row {r['row_number']} {r['column_name'] or ''}={r['value'] or ''!s}: {r['message']}")
        if len(worklist.quarantine) > TABLE_ROWS_PER_RULE:
            lines.append(f"  ... and {len(worklist.quarantine) - TABLE_ROWS_PER_RULE} more (use --format xlsx or csv for all)")
    return "\n".join(lines)


def _csv_safe(value) -> str:
    text = _display(value)
    if text.startswith(FORMULA_PREFIXES) and not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return "'" + text
    return text


def write_csv(worklist: Worklist, path: Path) -> Path:
    """One CSV for Excel (`;`, UTF-8 with BOM): issues and quarantined rows, by rule."""
    columns = ["kind", "rule", "severity", "status", "source", "record_key", "first_seen_month", "last_seen_month",
               "detail", "source_file", "row_number", "column_name", "value"]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(columns)
        for r in worklist.issues:
            writer.writerow([_csv_safe(v) for v in ("issue", r["rule_id"], r["severity"], r["status"], r["source"], r["record_key"],
                                                     r["first_seen_month"], r["last_seen_month"], r["detail"], "", "", "", "")])
        for r in worklist.quarantine:
            writer.writerow([_csv_safe(v) for v in ("quarantine", r["rule"], "", "", r["source"], r["record_key"],
                                                     r["delivery_month"], r["delivery_month"], r["message"],
                                                     r["source_file"], r["row_number"], r["column_name"], r["value"])])
    return path


# Words shortened (in this order, only as far as needed) to fit Excel's 31-character sheet names.
SHEET_ABBREVIATIONS = {"statushouder": "statush", "registration": "registr", "inconsistent": "inconsist"}


def _sheet_names(names: list[str]) -> dict[str, str]:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    result: dict[str, str] = {}
    used = {"summary"}
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name)
        for long, short in SHEET_ABBREVIATIONS.items():
            if len(base) > 31:
                base = base.replace(long, short)
        base = base[:31]
        candidate, n = base, 2
        while candidate.lower() in used:
            suffix = f"~{n}"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(candidate.lower())
        result[name] = candidate
    return result


def write_xlsx(worklist: Worklist, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E78")

    def put(sheet, row: int, column: int, value):
        cell = sheet.cell(row=row, column=column)
        if value is None:
            return cell
        if isinstance(value, bool) or isinstance(value, (int, float)):
            cell.value = value
        elif isinstance(value, (dt.date, dt.datetime)):
            cell.value = value
            cell.number_format = "yyyy-mm" if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and value.day == 1 else "yyyy-mm-dd"
        else:
            # Text stays text: set the string type explicitly (openpyxl would read '=...' as a
            # formula) and the quote prefix so that editing the cell in Excel keeps it text.
            cell.value = str(value)
            cell.data_type = "s"
            if str(value).startswith(FORMULA_PREFIXES):
                cell.quotePrefix = True
        return cell

    def table(sheet, headers: list[str], rows: list[list]):
        for column, header in enumerate(headers, start=1):
            cell = put(sheet, 1, column, header)
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(vertical="center")
        widths = [len(h) for h in headers]
        for row_index, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                put(sheet, row_index, column, value)
                widths[column - 1] = max(widths[column - 1], len(_display(value)))
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 80)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(rows) + 1, 2)}"

    workbook = Workbook()
    summary_sheet = workbook.active
    summary_sheet.title = "summary"
    rules = worklist.rules()
    sheet_names = _sheet_names(rules + (["quarantine"] if worklist.quarantine else []))
    summary_rows = [[r["rule_id"], r["severity"], r["open"], r["waived"], r["resolved"], r["total"], sheet_names[r["rule_id"]]]
                    for r in worklist.summary()]
    summary_rows += [[f"quarantine: {r['rule']}", "", r["rows"], None, None, r["rows"], sheet_names["quarantine"]]
                     for r in worklist.quarantine_summary()]
    table(summary_sheet, ["rule", "severity", "open", "waived", "resolved", "total", "sheet"], summary_rows)
    for row_index in range(2, len(summary_rows) + 2):  # link each rule to its sheet
        cell = summary_sheet.cell(row=row_index, column=7)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{cell.value}'!A1")  # a link inside the workbook
        cell.font = Font(color="0563C1", underline="single")

    issue_headers = ["status", "source", "record_key", "first_seen_month", "last_seen_month", "severity", "detail",
                     *worklist.extra_columns]
    for rule in rules:
        sheet = workbook.create_sheet(sheet_names[rule])
        table(sheet, issue_headers, [[r[h] for h in issue_headers] for r in worklist.issues if r["rule_id"] == rule])
    if worklist.quarantine:
        sheet = workbook.create_sheet(sheet_names["quarantine"])
        headers = list(QUARANTINE_COLUMNS)
        table(sheet, headers, [[r[h] for h in headers] for r in worklist.quarantine])
    workbook.save(path)
    return path


def write_worklist(warehouse: Path, month: str | None, fmt: str, out: Path | None) -> Path | str:
    """The stewards' worklist of `month` (YYYY-MM; None = every month) from `warehouse` (the
    warehouse or the published stewards' file). fmt `table` returns the text; `csv` and `xlsx`
    write dq_worklist_<month|all>.<fmt> into the directory `out` (default: the current one) and
    return its path."""
    from orchestration import config

    if fmt not in ("table", "csv", "xlsx"):
        raise ValueError(f"format {fmt!r}: choose table, csv or xlsx")
    worklist = read_worklist(Path(warehouse or config.warehouse_path()), month)
    if fmt == "table":
        return render_table(worklist)
    out_dir = Path(out) if out else Path.cwd()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"dq_worklist_{month or 'all'}.{fmt}"
    return write_csv(worklist, path) if fmt == "csv" else write_xlsx(worklist, path)

"""`statmon`: the monitor's command line. Every subcommand takes the same --raw-dir,
--warehouse and --out options where they apply. Heavy imports happen inside the subcommands."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from pathlib import Path

from orchestration import config

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(value: str) -> str:
    if not MONTH_RE.match(value):
        raise argparse.ArgumentTypeError(f"not a month: {value!r} (expected YYYY-MM)")
    return value


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (expected YYYY-MM-DD)") from None


def _add_paths(parser: argparse.ArgumentParser, raw: bool = False, warehouse: bool = False, out: str | None = None):
    if raw:
        parser.add_argument("--raw-dir", type=Path, default=config.raw_dir(), help="landing zone with <YYYY-MM>/ folders (default: %(default)s)")
    if warehouse:
        parser.add_argument("--warehouse", type=Path, default=config.warehouse_path(), help="DuckDB warehouse file (default: %(default)s)")
    if out is not None:
        parser.add_argument("--out", type=Path, default=Path(out) if out else None, help="output directory" + (" (default: %(default)s)" if out else ""))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="statmon", description="Monitor of statushouders on bijstand.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest, build, check and publish: all months found, or one month")
    _add_paths(run, raw=True, warehouse=True)
    run.add_argument("--month", type=_month, help="only this month (YYYY-MM); default: every month found, oldest first")

    demo = sub.add_parser("demo-data", help="write synthetic deliveries in the landing contract's formats")
    _add_paths(demo, out="raw")
    demo.add_argument("--scale", type=float, default=1.0, help="population scale: 1 = Haarlem, 100 = national (default: 1)")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--from", dest="start", type=_month, default="2014-01")
    demo.add_argument("--to", dest="end", type=_month, default="2020-06")

    dq = sub.add_parser("dq", help="the stewards' review: data-quality issues by rule, with the rows to fix")
    _add_paths(dq, warehouse=True, out="")
    dq.add_argument("--month", type=_month)
    dq.add_argument("--format", choices=("table", "csv", "xlsx"), default="table")

    figures = sub.add_parser("figures", help="the memo's figures beside the pipeline's (exit 1 when one does not hold)")
    _add_paths(figures, warehouse=True)
    figures.add_argument("--format", choices=("table", "markdown"), default="table")

    report = sub.add_parser("report", help="the council report (Dutch HTML, and PDF) from the published marts")
    _add_paths(report, warehouse=True)
    report.add_argument("--out", type=Path, help="output directory (default: STATMON_REPORTS_DIR, else reports/ "
                        "beside the warehouse)")
    report.add_argument("--month", type=_month, help="default: the last published month")
    report.add_argument("--format", choices=("html", "pdf"), default="html",
                        help="pdf: also print the HTML to raadsrapportage_<YYYY-MM>.pdf beside it (needs Chromium)")

    retention = sub.add_parser(
        "retention",
        help="bewaartermijn: delete month folders older than N years from raw/ and everything derived from them",
        description="The only command that deletes from raw/. Removes raw/<YYYY-MM>/ folders of months before "
        "the month of (today - N years), their rows in the warehouse (schema landing), logs each folder "
        "and table to stdout and landing.retention_log, then rebuilds the dbt models in full and republishes.",
    )
    _add_paths(retention, raw=True, warehouse=True)
    retention.add_argument("--keep-years", type=int, required=True, help="retention period in years")
    retention.add_argument("--today", type=_date, help="the date to count from (YYYY-MM-DD; default: today)")
    retention.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    retention.add_argument("--no-rebuild", action="store_true", help="skip the dbt full refresh and republication")
    return parser


def _set_env(args) -> None:
    """Dagster resources and the dbt profile read their paths from the environment."""
    if getattr(args, "raw_dir", None) is not None:
        os.environ["STATMON_RAW_DIR"] = str(args.raw_dir.resolve())
    if getattr(args, "warehouse", None) is not None:
        os.environ["STATMON_WAREHOUSE"] = str(args.warehouse.resolve())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _set_env(args)
    if args.command == "run":
        from orchestration.run import run_pipeline

        status = run_pipeline(args.raw_dir, args.warehouse, args.month)
        if argv is None:  # the `statmon` command itself (not a caller in Python) is about to exit
            # Python's last collections at exit walk every object of the run (Dagster, dbt's
            # adapter, SQLAlchemy: ~1 s); frozen objects are left to the OS to reclaim. Exit
            # handlers, thread joins and the flushing of stdout/stderr run as always.
            import gc

            gc.freeze()
        return status
    if args.command == "demo-data":
        from orchestration.demo import generate

        summary = generate(args.out, scale=args.scale, seed=args.seed, start=args.start, end=args.end)
        print(" ".join(f"{k}={v}" for k, v in summary.items()))
        return 0
    if args.command == "dq":
        from orchestration.quality.worklist import write_worklist

        result = write_worklist(args.warehouse, args.month, args.format, args.out)
        print(result)
        return 0
    if args.command == "figures":
        import duckdb

        from orchestration.figures import compute_figures, format_table

        con = duckdb.connect(str(args.warehouse), read_only=True)
        try:
            figures = compute_figures(con)
        finally:
            con.close()
        print(format_table(figures, markdown=args.format == "markdown"))
        return 0 if all(f.holds for f in figures) else 1
    if args.command == "report":
        from orchestration.report import build_report

        published = config.published_dir(args.warehouse) / "published.duckdb"
        if not published.exists():
            print(f"statmon report: nothing published yet ({published} does not exist); run `statmon run` first.", file=sys.stderr)
            return 2
        if args.format == "pdf":
            from orchestration.report.pdf import PdfToolMissing, find_chromium

            try:
                find_chromium()
            except PdfToolMissing as exc:
                print(f"statmon report: {exc}", file=sys.stderr)
                return 2
        html = build_report(published, args.month, args.out or config.reports_dir(args.warehouse))
        print(html)
        if args.format == "pdf":
            from orchestration.report.pdf import write_pdf

            print(write_pdf(html).path)
        return 0
    if args.command == "retention":
        from orchestration.retention import run_retention

        return run_retention(args.raw_dir, args.warehouse, args.keep_years, args.today,
                             dry_run=args.dry_run, rebuild=not args.no_rebuild)
    return 2


if __name__ == "__main__":
    sys.exit(main())

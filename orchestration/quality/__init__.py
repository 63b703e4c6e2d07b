"""Data quality: the Great Expectations suites (expectations/) run on parsed and landed data,
file-level rules, the waivers stewards keep, what blocks publication, the stewards' worklist
and GX Data Docs. Modules import GX and openpyxl lazily: importing this package is cheap.

    gx_runner.validate_parsed_batch   row rules (expectations/<kind>.json) on the parsed batch
    file_rules.run_file_rules         file-level rules on the landed data
    blocking.blocking_months          months with an unwaived `error`; publishable_through
    blocking.record_check_results     store mart-invariant outcomes (or any CheckOutcome)
    waivers.load_waivers              the stewards' waivers file -> landing.dq_waivers
    worklist.write_worklist           `statmon dq`: issues by rule, as table, csv or xlsx
    data_docs.build_data_docs         GX Data Docs (HTML) for a month
"""

"""Data quality: the expectation suites (expectations/), their recorded results, the file-level
rules, the waivers stewards keep, what blocks publication, the stewards' worklist and GX Data Docs.
Modules import GX and openpyxl lazily: importing this package is cheap.

    suites                            the one loader of expectations/ (load, resolve parameters)
    expectation_results               landing.expectation_results: record, read, describe
    file_rules.run_file_rules         file-level rules on the landed data (GX, once per delivery version)
    gx                                GX in the pipeline: validate a DataFrame, import in the background
    blocking.blocking_months          months with an unwaived `error`; publishable_through
    blocking.record_check_results     store mart-invariant outcomes (or any CheckOutcome)
    waivers.load_waivers              the stewards' waivers file -> landing.dq_waivers
    worklist.write_worklist           `statmon dq`: issues by rule, as table, csv or xlsx
    data_docs.build_data_docs         GX Data Docs (HTML) of a month, from the recorded results
"""

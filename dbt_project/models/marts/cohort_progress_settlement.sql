-- Settlement cohorts (the year of the earliest datum_vestiging_gemeente) in the CBS
-- cohort-monitor layout; months_since_permit counts months since settling (mart contract:
-- same columns as cohort_progress).
{{ cohort_progress('settlement_date', 'settlement_cohort_year') }}

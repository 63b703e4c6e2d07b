-- Permit cohorts (the year of the earliest asylum permit, or of the first benefit for a
-- registered statushouder without one) in the CBS cohort-monitor layout (mart contract).
{{ cohort_progress('permit_cohort_date', 'permit_cohort_year') }}

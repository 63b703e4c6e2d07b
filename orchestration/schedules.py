"""The monthly refresh the municipality runs after the deliveries of a month have arrived:
on the 10th at 06:00 (Europe/Amsterdam) for the previous month."""
import dagster as dg

from orchestration.jobs import monthly_refresh_job

monthly_refresh_schedule = dg.build_schedule_from_partitioned_job(
    monthly_refresh_job,
    day_of_month=10,
    hour_of_day=6,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

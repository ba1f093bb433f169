"""Background work of the records app: ids in, one service call, scoped by the base task."""

from celery import shared_task

from accounts.tasks import OrganisationTask
from records import services
from records.models import ImportJob


@shared_task(base=OrganisationTask, name="records.roster_import_run")
def roster_import_run(*, organisation_id: int, job_id: int) -> str:
    """Import an uploaded OneRoster bundle (the job holds it) into its school."""
    job = ImportJob.objects.get(organisation_id=organisation_id, pk=job_id)
    return services.import_job_run(job=job).status

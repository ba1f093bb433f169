"""Background work. Ids in, never images or vectors; each body calls one service.

Periodic jobs fan out one task per school, so every task that touches a school's data enters
its scope the one way: through OrganisationTask and `organisation_id`.
"""

from celery import shared_task

from accounts.models import Organisation
from accounts.tasks import OrganisationTask
from recognition import services


@shared_task(base=OrganisationTask, acks_late=True)
def retrain_organisation(*, organisation_id: int) -> int | None:
    organisation = Organisation.objects.get(pk=organisation_id)
    model = services.face_model_build(organisation=organisation)
    return model.version if model else None


@shared_task(base=OrganisationTask)
def sweep_organisation(*, organisation_id: int) -> bool:
    organisation = Organisation.objects.get(pk=organisation_id)
    return services.rebuild_requests_sweep(organisation=organisation)


@shared_task(base=OrganisationTask)
def erase_expired_biometrics_of(*, organisation_id: int) -> int:
    organisation = Organisation.objects.get(pk=organisation_id)
    return services.biometrics_erase_expired(organisation=organisation)


@shared_task
def sweep_all_organisations() -> None:
    for organisation_id in Organisation.objects.values_list("pk", flat=True):
        sweep_organisation.delay(organisation_id=organisation_id)


@shared_task
def erase_expired_biometrics() -> None:
    for organisation_id in Organisation.objects.values_list("pk", flat=True):
        erase_expired_biometrics_of.delay(organisation_id=organisation_id)

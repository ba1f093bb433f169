"""Webhook delivery and the outbox sweep. Thin: ids in, one service call."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import Organisation
from accounts.tasks import OrganisationTask
from records.webhooks import selectors, services

# A pending row whose task should have run this long ago is taken to be lost.
SWEEP_GRACE = timedelta(minutes=1)


@shared_task(base=OrganisationTask, bind=True, name="records.webhook_deliver", max_retries=None)
def webhook_deliver(self: OrganisationTask, *, organisation_id: int, delivery_id: str) -> bool:
    """One attempt; on failure, a retry after an exponential backoff (doubling, from
    WEBHOOK_RETRY_BASE_SECONDS) until WEBHOOK_MAX_ATTEMPTS. Eager Celery leaves retries to the
    sweep, so a web request never waits through them."""
    attempt = services.webhook_delivery_attempt(
        organisation=Organisation.objects.get(pk=organisation_id), delivery_id=delivery_id
    )
    if attempt.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.delivered


@shared_task(name="records.webhook_sweep")
def webhook_sweep(grace_seconds: float | None = None) -> int:
    """Re-enqueue deliveries that are due and whose task was lost (broker down, worker killed).

    Runs from Celery beat every minute; returns how many were handed over.
    """
    grace = SWEEP_GRACE if grace_seconds is None else timedelta(seconds=grace_seconds)
    due = selectors.webhook_deliveries_due(before=timezone.now() - grace)
    for organisation_id, delivery_id in due:
        services.webhook_deliveries_enqueue(organisation_id, [delivery_id])
    return len(due)

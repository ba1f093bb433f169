"""Reads of the webhooks, for one school (and one cross-school read of ids for the sweep)."""

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from accounts.errors import NotFound
from accounts.models import Organisation
from records.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

ENDPOINT_NOT_FOUND = "No such webhook endpoint."


def webhook_endpoints_list(*, organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    return organisation.webhook_endpoints.order_by("-is_active", "-created_at")


def webhook_endpoint_get(*, organisation: Organisation, public_id: UUID | str) -> WebhookEndpoint:
    try:
        return organisation.webhook_endpoints.get(public_id=public_id)
    except (WebhookEndpoint.DoesNotExist, ValueError) as error:
        raise NotFound(ENDPOINT_NOT_FOUND) from error


def webhook_deliveries_list(
    *, organisation: Organisation, limit: int = 100
) -> QuerySet[WebhookDelivery]:
    return organisation.webhook_deliveries.select_related("endpoint").order_by(
        "-created_at", "-id"
    )[:limit]


def webhook_endpoints_of(*, organisation_id: int) -> list[WebhookEndpoint]:
    """The active endpoints of the school a write belongs to, from inside that write.

    Model signals also fire where no scope is entered (a superuser in the Django admin,
    fixtures), so this reads through the base manager, filtered by the organisation named on the
    row being written: never another school's endpoints.
    """
    return list(
        WebhookEndpoint._base_manager.filter(organisation_id=organisation_id, is_active=True)
    )


def webhook_deliveries_due(*, before: datetime) -> list[tuple[int, str]]:
    """(organisation id, delivery id) of pending deliveries whose task evidently got lost.

    The sweep is the one reader across schools; it reads ids only and hands each delivery to a
    task that runs in that delivery's school.
    """
    rows = WebhookDelivery._base_manager.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lt=before
    ).values_list("organisation_id", "public_id")
    return [(organisation_id, str(public_id)) for organisation_id, public_id in rows[:1000]]


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """One endpoint's deliveries, newest first (the admin's page paginates them)."""
    return endpoint.deliveries.order_by("-created_at", "-id")

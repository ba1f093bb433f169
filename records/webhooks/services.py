"""Writes of the webhooks: endpoints, the outbox, delivery attempts.

Deliveries follow Standard Webhooks (https://www.standardwebhooks.com): the body is JSON
`{"type", "timestamp", "data"}`, signed with HMAC-SHA256 over `{webhook-id}.{timestamp}.{body}`
keyed with the base64-decoded part of the `whsec_` secret, sent as `v1,<base64>`.
"""

import base64
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.errors import DomainError
from accounts.models import Organisation, User
from records.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from records.webhooks.network import UnsafeHost, connector_for, host_check

logger = logging.getLogger(__name__)

BAD_URL = "Give a full http:// or https:// address, such as https://sis.example.org/hooks."
NO_EVENTS = "Choose at least one event."
UNKNOWN_EVENT = "Unknown event: {}."
USER_AGENT = "attendance-webhooks/1"
RESPONSE_KEPT = 500


def webhook_secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_sign(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _clean_url(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise DomainError(BAD_URL, field="url") from error
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise DomainError(BAD_URL, field="url")
    try:
        host_check(parts.hostname or "", _port_of(parts))
    except UnsafeHost as error:
        raise DomainError(str(error), code="unsafe_host", field="url") from error
    return url


def _port_of(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


@transaction.atomic
def webhook_endpoint_create(
    *, organisation: Organisation, url: str, events: list[str], created_by: User | None
) -> WebhookEndpoint:
    """A new endpoint with a fresh `whsec_` secret (shown once by the page that calls this)."""
    if not events:
        raise DomainError(NO_EVENTS, field="events")
    for event in events:
        if event not in WebhookEvent.values:
            raise DomainError(UNKNOWN_EVENT.format(event), field="events")
    endpoint = WebhookEndpoint(
        organisation=organisation,
        url=_clean_url(url),
        events=sorted(set(events)),
        secret=webhook_secret_new(),
        created_by=created_by,
    )
    endpoint.full_clean(exclude=["created_by"])
    endpoint.save()
    return endpoint


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """No new deliveries; pending ones are dropped by the next attempt."""
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active", "updated_at"])
    return endpoint


# ----------------------------------------------------------------------------- the outbox


def webhook_event_record(
    *, organisation_id: int, event: str, data: dict[str, Any], endpoints: list[WebhookEndpoint]
) -> list[WebhookDelivery]:
    """Write one outbox row per subscribed endpoint, in the caller's transaction; enqueue the
    deliveries on commit. Must be called inside the transaction of the change it reports."""
    subscribed = [e for e in endpoints if e.is_active and event in e.events]
    if not subscribed:
        return []
    now = timezone.now()
    payload = {"type": event, "timestamp": now.isoformat(), "data": data}
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                organisation_id=organisation_id,
                endpoint=endpoint,
                event=event,
                payload=payload,
                # The task delivers at once; the sweep only takes rows whose task got lost.
                next_attempt_at=now,
            )
            for endpoint in subscribed
        ]
    )
    ids = [str(d.public_id) for d in deliveries]
    transaction.on_commit(lambda: webhook_deliveries_enqueue(organisation_id, ids))
    return deliveries


def webhook_deliveries_enqueue(organisation_id: int, delivery_ids: list[str]) -> None:
    """Hand deliveries to Celery. A broker that is down loses nothing: the rows stay pending
    and the periodic sweep enqueues them again."""
    from records.webhooks.tasks import webhook_deliver  # the task module imports this one

    for delivery_id in delivery_ids:
        try:
            webhook_deliver.apply_async(
                kwargs={"organisation_id": organisation_id, "delivery_id": delivery_id},
                retry=False,
            )
        except Exception:  # any broker failure: the sweep retries the row.
            logger.warning("webhook %s not enqueued; the sweep will retry it", delivery_id)
            return


# ----------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    status_code: int | None
    response: str
    retry_in: float | None  # seconds until the next attempt; None when done (or given up)


def _backoff(attempts: int) -> float:
    return float(settings.WEBHOOK_RETRY_BASE_SECONDS) * 2 ** (attempts - 1)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST to exactly the host the admin typed. http.client follows no redirect: a 3xx is a
    failed attempt like any other non-2xx. Connect and read are bounded by one timeout.

    The host is resolved and checked again here (it may have been re-pointed at a private
    address since it was registered), and the connection goes to the address checked."""
    parts = urlsplit(url)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connect = connector_for(parts.hostname or "", _port_of(parts))
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    if connect is not None:
        # http.client's own hook for opening the socket; HTTPS wraps it with the name as SNI.
        connection._create_connection = connect  # type: ignore[attr-defined]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(RESPONSE_KEPT * 4).decode("utf-8", "replace")
        return response.status, text[:RESPONSE_KEPT]
    finally:
        connection.close()


def webhook_delivery_attempt(
    *, organisation: Organisation, delivery_id: str, now: datetime | None = None
) -> Attempt:
    """One attempt at one delivery. The row is locked for the attempt, so a task and the sweep
    never send the same delivery at once, and a delivered row is never sent again."""
    with transaction.atomic():
        delivery = (
            organisation.webhook_deliveries.select_for_update()
            .select_related("endpoint")
            .filter(public_id=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return Attempt(
                delivered=delivery is not None, status_code=None, response="", retry_in=None
            )
        endpoint = delivery.endpoint
        now = now or timezone.now()
        if not endpoint.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_response = "The endpoint was disabled."
            delivery.save(update_fields=["status", "last_response", "updated_at"])
            return Attempt(False, None, delivery.last_response, None)
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook_sign(
                secret=endpoint.secret,
                webhook_id=delivery.webhook_id,
                timestamp=timestamp,
                body=body,
            ),
        }
        try:
            status_code, text = _post(endpoint.url, body, headers)
        except (OSError, http.client.HTTPException) as error:
            status_code, text = None, f"{type(error).__name__}: {error}"[:RESPONSE_KEPT]
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = status_code
        delivery.last_response = text
        retry_in = None
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            retry_in = _backoff(delivery.attempts)
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.save()
    return Attempt(delivery.status == DeliveryStatus.DELIVERED, status_code, text, retry_in)

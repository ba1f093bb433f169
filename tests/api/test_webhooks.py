"""Webhooks delivered to a real HTTP receiver on 127.0.0.1, signed as Standard Webhooks says."""

import base64
import hashlib
import hmac
import json
from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from accounts.scoping import organisation_scope
from records import services
from records.models import AttendanceSource, DeliveryStatus, WebhookDelivery
from records.webhooks import services as webhook_services
from records.webhooks import tasks


@pytest.fixture(autouse=True)
def _eager(eager_celery):
    """These tests drive attempts one by one; the real-worker path is test_webhooks_worker.py."""


def verify(secret, headers, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    version, signature = headers["webhook-signature"].split(",", 1)
    return version == "v1" and hmac.compare_digest(signature, expected)


def endpoint_for(school, url, events):
    with organisation_scope(school.organisation):
        return webhook_services.webhook_endpoint_create(
            organisation=school.organisation, url=url, events=events, created_by=None
        )


def mark(school):
    with organisation_scope(school.organisation):
        session, _ = services.session_open(school_class=school.school_class, opened_by=school.admin)
        return services.attendance_mark(
            session=session, student=school.student, source=AttendanceSource.API, actor=None
        )[0]


def test_a_mark_is_delivered_signed(
    school_a, school_b, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    endpoint = endpoint_for(school_a, receiver.url, ["attendance.marked"])
    assert endpoint.secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        record = mark(school_a)
        mark(school_b)  # another school's change never reaches A's endpoint
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    headers = {k.lower(): v for k, v in headers.items()}
    assert verify(endpoint.secret, headers, body)
    payload = json.loads(body)
    assert payload["type"] == "attendance.marked"
    assert payload["data"]["id"] == str(record.public_id)


def test_a_receiver_that_fails_twice_gets_the_event_once(
    school_a, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory([500, 503, 200])
    endpoint_for(school_a, receiver.url, ["attendance.marked", "session.closed"])
    with django_capture_on_commit_callbacks(execute=True):
        mark(school_a)
    assert len(receiver.requests) == 1
    tasks.webhook_sweep(grace_seconds=-3600)
    tasks.webhook_sweep(grace_seconds=-3600)
    tasks.webhook_sweep(grace_seconds=-3600)  # delivered: nothing more is sent
    ids = {{k.lower(): v for k, v in h.items()}["webhook-id"] for h, _ in receiver.requests}
    assert len(receiver.requests) == 3
    assert len(ids) == 1
    with organisation_scope(school_a.organisation):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert delivery.last_status_code == 200


def test_the_outbox_survives_the_broker_being_down(
    school_a, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    endpoint_for(school_a, receiver.url, ["attendance.marked"])
    down = OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    with (
        mock.patch.object(tasks.webhook_deliver, "apply_async", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        record = mark(school_a)
    with organisation_scope(school_a.organisation):
        assert record.pk is not None
        assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert receiver.requests == []
    assert tasks.webhook_sweep(grace_seconds=-3600) == 1  # the broker is back
    assert len(receiver.requests) == 1


def test_roster_changes_and_closing_are_announced(
    school_a, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    endpoint_for(school_a, receiver.url, ["roster.changed", "session.closed", "attendance.marked"])
    with (
        django_capture_on_commit_callbacks(execute=True),
        organisation_scope(school_a.organisation),
    ):
        services.student_create(
            organisation=school_a.organisation, given_name="A", family_name="B", student_number="9"
        )
        session, _ = services.session_open(
            school_class=school_a.school_class, opened_by=school_a.admin
        )
        services.session_close(session=session, closed_by=school_a.admin)
    types = [json.loads(body)["type"] for _, body in receiver.requests]
    assert types.count("roster.changed") == 1
    assert types.count("session.closed") == 1
    assert types.count("attendance.marked") == 1  # the absent student, marked at close


def test_only_http_urls_are_accepted(school_a):
    from accounts.errors import DomainError

    for url in ["ftp://example.org/x", "file:///etc/passwd", "http://user:pw@example.org/"]:
        with pytest.raises(DomainError):
            endpoint_for(school_a, url, ["roster.changed"])


def test_redirects_are_not_followed(school_a, receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory([302])
    endpoint_for(school_a, receiver.url, ["attendance.marked"])
    with django_capture_on_commit_callbacks(execute=True):
        mark(school_a)
    with organisation_scope(school_a.organisation):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302

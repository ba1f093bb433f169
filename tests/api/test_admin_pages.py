"""The admin's pages for API keys and webhook endpoints."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from accounts.scoping import organisation_scope
from records.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.api.test_webhooks import endpoint_for, mark


@pytest.fixture(autouse=True)
def _eager(eager_celery):
    pass


@pytest.fixture
def admin(school_a, client_for):
    return client_for(school_a.admin)


def test_a_new_key_is_shown_once_and_works(admin, school_a, school_b):
    response = admin.post(reverse("api_key_create"), {"name": "SIS sync", "scope": "read"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plaintext = re.search(r'value="(sk_live_[^"]+)"', response.text).group(1)
    assert "will not be shown again" in response.text
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get("/api/v1/students/").status_code == 200
    listing = admin.get(reverse("api_key_list"))
    assert plaintext not in listing.text
    with organisation_scope(school_a.organisation):
        api_key = ApiKey.objects.get()
    assert api_key.prefix in listing.text
    assert "Read only" in listing.text
    assert api_key.created_by == school_a.admin.user


def test_a_key_needs_a_name_and_a_known_scope(admin):
    response = admin.post(reverse("api_key_create"), {"name": "", "scope": "root"})
    assert response.status_code == 400
    assert "sk_live_" not in response.text


def test_revoke_asks_then_revokes(admin, school_a):
    admin.post(reverse("api_key_create"), {"name": "Old", "scope": "read_write"})
    with organisation_scope(school_a.organisation):
        api_key = ApiKey.objects.get()
    url = reverse("api_key_revoke", kwargs={"public_id": api_key.public_id})
    confirm = admin.get(url)
    assert confirm.status_code == 200
    assert "stops working at once" in confirm.text
    assert admin.post(url).status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert admin.post(url).status_code == 409  # already revoked


def test_another_schools_admin_cannot_see_or_revoke_a_key(school_a, school_b, client_for):
    client_for(school_a.admin).post(reverse("api_key_create"), {"name": "A", "scope": "read"})
    with organisation_scope(school_a.organisation):
        api_key = ApiKey.objects.get()
    other = client_for(school_b.admin)
    assert api_key.prefix not in other.get(reverse("api_key_list")).text
    url = reverse("api_key_revoke", kwargs={"public_id": api_key.public_id})
    assert other.post(url).status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_a_new_endpoint_shows_its_secret_once(admin, school_a):
    response = admin.post(
        reverse("webhook_create"),
        {"url": "https://sis.example.org/hooks", "events": ["attendance.marked", "session.closed"]},
    )
    assert response.status_code == 200, response.content[:500]
    assert "no-store" in response["Cache-Control"]
    with organisation_scope(school_a.organisation):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.text
    assert endpoint.events == ["attendance.marked", "session.closed"]
    assert endpoint.created_by == school_a.admin.user
    listing = admin.get(reverse("webhook_list"))
    assert endpoint.url in listing.text
    assert endpoint.secret not in listing.text


def test_an_endpoint_needs_events_and_a_public_http_url(admin, settings):
    no_events = admin.post(reverse("webhook_create"), {"url": "https://sis.example.org/"})
    assert no_events.status_code == 400
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    private = admin.post(
        reverse("webhook_create"), {"url": "http://127.0.0.1:6379/", "events": ["roster.changed"]}
    )
    assert private.status_code == 400
    assert "private or local" in private.text


def test_disable_asks_then_disables(admin, school_a):
    endpoint = endpoint_for(school_a, "https://sis.example.org/hooks", ["roster.changed"])
    url = reverse("webhook_disable", kwargs={"public_id": endpoint.public_id})
    assert admin.get(url).status_code == 200
    assert admin.post(url).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active is False


def test_deliveries_are_listed_with_status_attempts_and_response(
    admin, school_a, school_b, django_capture_on_commit_callbacks, receiver_factory, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver = receiver_factory([503])
    endpoint = endpoint_for(school_a, receiver.url, ["attendance.marked"])
    with django_capture_on_commit_callbacks(execute=True):
        mark(school_a)
    url = reverse("webhook_deliveries", kwargs={"public_id": endpoint.public_id})
    response = admin.get(url)
    assert response.status_code == 200
    with organisation_scope(school_a.organisation):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "attendance.marked" in response.text
    assert "503" in response.text
    assert "try later" in response.text
    assert delivery.webhook_id in response.text


def test_deliveries_are_paginated(admin, school_a, django_assert_max_num_queries):
    endpoint = endpoint_for(school_a, "https://sis.example.org/hooks", ["roster.changed"])
    with organisation_scope(school_a.organisation):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                organisation=school_a.organisation,
                endpoint=endpoint,
                event="roster.changed",
                payload={"n": n},
            )
            for n in range(120)
        )
    url = reverse("webhook_deliveries", kwargs={"public_id": endpoint.public_id})
    with django_assert_max_num_queries(12):
        first = admin.get(url)
    assert "Page 1 of 3" in first.text
    assert admin.get(url + "?page=3").text.count("roster.changed<br>") == 20


def test_the_nav_shows_integrations_to_admins_only(school_a, client_for):
    assert reverse("api_key_list") in client_for(school_a.admin).get("/").text
    assert reverse("api_key_list") not in client_for(school_a.teacher).get("/").text

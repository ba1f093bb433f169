"""With REDIS_URL: a change commits, its delivery goes through Redis to a real Celery worker, which
signs and POSTs it to a real receiver on 127.0.0.1, retrying with backoff after a failure; and a
change made while Redis is stopped is delivered once it is back."""

import json
import shutil
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections

from accounts.scoping import organisation_scope
from attendance_project.celery import app as celery_app
from records.models import DeliveryStatus, WebhookDelivery
from records.webhooks.tasks import webhook_sweep
from tests.api.test_webhooks import endpoint_for, mark, verify
from tests.processes import RedisServer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def webhook_worker(settings, request):
    """A real worker on a queue of this test's own: other test runs sharing the Redis server
    consume `celery`, and must not take (or hand us) deliveries of another database."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without it Celery runs eagerly (covered by test_webhooks)")
    queue = f"webhooks-test-{uuid.uuid4().hex[:8]}"
    settings.WORKER_QUEUES = [queue]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    routes = celery_app.conf.task_routes
    _set_routes({**(routes or {}), "records.webhook_deliver": {"queue": queue}})
    worker = request.getfixturevalue("celery_worker")
    forget_closed_connections()
    yield worker
    _set_routes(routes)


def forget_closed_connections() -> None:
    """Celery's Django fixup closes the database sockets it finds at worker start, this thread's
    included (it expects to be in a fresh process): drop them, the next query reconnects."""
    for connection in connections.all(initialized_only=True):
        connection.connection = None


def _set_routes(routes):
    """Celery builds its router once, at the first send: rebuild it from the new routes."""
    celery_app.conf.task_routes = routes
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def test_a_change_reaches_the_receiver_through_redis_and_a_real_worker(
    webhook_worker, school_a, school_b, receiver_factory
):
    assert not celery_app.conf.task_always_eager
    receiver = receiver_factory([503])  # the first attempt fails; the worker retries in 1 s
    endpoint = endpoint_for(school_a, receiver.url, ["attendance.marked"])
    endpoint_for(school_b, receiver.url, ["attendance.marked"])
    record = mark(school_a)  # commits (transactional test): on commit, enqueued to Redis

    def delivered():
        with organisation_scope(school_a.organisation):
            return WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED

    _wait(delivered)
    assert len(receiver.requests) == 2
    headers = [{k.lower(): v for k, v in h.items()} for h, _ in receiver.requests]
    assert len({h["webhook-id"] for h in headers}) == 1  # the same event, retried
    body = receiver.requests[-1][1]
    assert verify(endpoint.secret, headers[-1], body)
    assert json.loads(body)["data"]["id"] == str(record.public_id)
    with organisation_scope(school_a.organisation):
        delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 2
    assert delivery.last_status_code == 200
    assert settings.REDIS_URL


@pytest.fixture
def own_broker(settings):
    """Celery's broker moved to a Redis server of this test's own, which the test can stop."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without it Celery runs eagerly (covered by test_webhooks)")
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server, to stop and start a broker of the test's own")
    broker = RedisServer(binary)
    broker.start()
    names = ("broker_url", "broker_read_url", "broker_write_url")
    saved = {name: celery_app.conf[name] for name in names}
    celery_app.conf.update(dict.fromkeys(names, broker.url))
    drop_broker_connections()
    yield broker
    broker.stop()
    celery_app.conf.update(saved)
    drop_broker_connections()


def drop_broker_connections() -> None:
    """Forget the app's pools of broker connections (and its producers', kept apart), so the
    next message goes to the broker now configured: what Celery does in a forked child."""
    celery_app._after_fork()


def test_a_change_made_while_redis_is_stopped_is_delivered_once_it_is_back(
    own_broker, transactional_db, school_a, school_b, receiver_factory
):
    receiver, receiver_b = receiver_factory(), receiver_factory()
    endpoint = endpoint_for(school_a, receiver.url, ["attendance.marked"])
    endpoint_for(school_b, receiver_b.url, ["attendance.marked"])
    own_broker.stop()

    record = mark(school_a)  # commits; the enqueue on commit finds no broker

    with organisation_scope(school_a.organisation):
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING  # kept in the outbox, with the change
    assert receiver.requests == []

    own_broker.start()  # Redis is back (empty: it keeps nothing on disk)
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=["celery"]):
        forget_closed_connections()
        # What beat runs every minute: due rows whose task was lost go to the broker again.
        assert webhook_sweep(grace_seconds=0) == 1

        def delivered():
            with organisation_scope(school_a.organisation):
                return WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED

        _wait(delivered)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    headers = {name.lower(): value for name, value in headers.items()}
    assert headers["webhook-id"] == delivery.webhook_id
    assert verify(endpoint.secret, headers, body)
    assert json.loads(body)["data"]["id"] == str(record.public_id)
    assert receiver_b.requests == []  # school B's endpoint hears nothing of school A

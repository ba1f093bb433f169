"""The SSRF guard: webhooks never reach loopback, private, link-local or multicast addresses,
whether the name pointed there at registration or was re-pointed there later (DNS rebinding)."""

import socket
from unittest import mock

import pytest

from accounts.errors import DomainError
from accounts.scoping import organisation_scope
from records.models import DeliveryStatus, WebhookDelivery
from records.webhooks import network
from tests.api.test_webhooks import endpoint_for, mark

PUBLIC = "93.184.215.14"


def resolving(mapping):
    """getaddrinfo that answers from `mapping` (name → address) and refuses any other name."""

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = mapping[host]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    return mock.patch.object(network.socket, "getaddrinfo", side_effect=getaddrinfo)


@pytest.fixture(autouse=True)
def _eager(eager_celery):
    pass


@pytest.fixture
def guarded(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 -- an address under test, not a bind
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "ff02::1",
    ],
)
def test_a_host_that_resolves_to_a_private_address_is_refused(school_a, guarded, address):
    with resolving({"hooks.example.org": address}), pytest.raises(DomainError) as error:
        endpoint_for(school_a, "https://hooks.example.org/in", ["roster.changed"])
    assert error.value.field == "url"
    assert "private or local" in error.value.message


def test_literal_private_addresses_and_unknown_hosts_are_refused(school_a, guarded):
    for url in ["http://127.0.0.1:8000/", "http://[::1]/", "http://localhost/hooks"]:
        with pytest.raises(DomainError):
            endpoint_for(school_a, url, ["roster.changed"])
    with resolving({}), pytest.raises(DomainError) as error:
        endpoint_for(school_a, "https://nowhere.invalid/", ["roster.changed"])
    assert "No address was found" in error.value.message


def test_a_public_host_is_accepted(school_a, guarded):
    with resolving({"sis.example.org": PUBLIC}):
        endpoint = endpoint_for(school_a, "https://sis.example.org/hooks", ["roster.changed"])
    assert endpoint.url == "https://sis.example.org/hooks"


def test_a_host_re_pointed_at_loopback_after_registration_gets_nothing(
    school_a, guarded, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    port = receiver.server.server_port
    with resolving({"sis.example.org": PUBLIC}):
        endpoint_for(school_a, f"http://sis.example.org:{port}/hooks", ["attendance.marked"])
    # DNS rebinding: the name now points at the receiver on 127.0.0.1.
    with (
        resolving({"sis.example.org": "127.0.0.1"}),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mark(school_a)
    assert receiver.requests == []
    with organisation_scope(school_a.organisation):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING  # retried later, re-checked each time
    assert delivery.last_status_code is None
    assert "private or local" in delivery.last_response


def test_delivery_connects_to_the_address_it_checked(
    school_a, guarded, receiver_factory, django_capture_on_commit_callbacks
):
    """One lookup, checked, then used: a second lookup could answer differently."""
    receiver = receiver_factory()
    port = receiver.server.server_port
    answers = iter(["127.0.0.1", "10.9.9.9"])  # checked first, then a rebinding attempt
    with (
        resolving({"sis.example.org": PUBLIC}),
        mock.patch.object(network, "address_is_public", return_value=True),
    ):
        endpoint_for(school_a, f"http://sis.example.org:{port}/hooks", ["attendance.marked"])

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port_, *args, **kwargs):
        if host != "sis.example.org":  # the connection itself, to an address
            return real_getaddrinfo(host, port_, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port_))]

    with (
        mock.patch.object(network.socket, "getaddrinfo", side_effect=getaddrinfo),
        mock.patch.object(network, "address_is_public", return_value=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mark(school_a)
    assert len(receiver.requests) == 1
    headers = {k.lower(): v for k, v in receiver.requests[0][0].items()}
    assert headers["host"] == f"sis.example.org:{port}"
    assert next(answers) == "10.9.9.9"  # the name was looked up once

"""Where a webhook may be sent: the SSRF guard.

An admin types the URL, so without a guard a school's webhook could make our servers POST to
the cloud metadata service, to Redis on localhost or to anything on the private network. A host
is refused when any of its addresses is not globally routable (loopback, private, link-local,
shared, multicast, reserved, unspecified; IPv4-mapped IPv6 is unwrapped first).

The check runs at registration and again before every delivery, because DNS can change between
the two (DNS rebinding). At delivery the connection goes to the address that was checked, not to
a second lookup of the name: the Host header, TLS SNI and certificate check still use the name.

`settings.WEBHOOK_ALLOW_PRIVATE_HOSTS` turns the guard off (the tests deliver to 127.0.0.1).
"""

import ipaddress
import socket
from collections.abc import Callable

from django.conf import settings

PRIVATE_HOST = (
    "Webhooks can only go to public internet addresses; {host} resolves to {address}, "
    "a private or local one."
)
UNKNOWN_HOST = "No address was found for {host}; check the spelling, or try again later."

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeHost(OSError):
    """The host resolves to an address webhooks must never reach, or to none.

    An OSError, so a delivery treats it like any connection failure: recorded, retried.
    """


def address_is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def private_hosts_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


def public_address(host: str, port: int) -> str:
    """The first address of `host`, after checking that every address of it is public.

    Every address, not only the first: a name with one public and one private address would
    otherwise depend on which one the connection happens to try.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeHost(UNKNOWN_HOST.format(host=host)) from error
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    if not addresses:
        raise UnsafeHost(UNKNOWN_HOST.format(host=host))
    for text in addresses:
        if not address_is_public(ipaddress.ip_address(text)):
            raise UnsafeHost(PRIVATE_HOST.format(host=host, address=text))
    return addresses[0]


def connector_for(host: str, port: int) -> Callable[..., socket.socket] | None:
    """A replacement for http.client's `_create_connection` that connects to the checked
    address; None when private hosts are allowed (connect by name as usual)."""
    if private_hosts_allowed():
        return None
    address = public_address(host, port)

    def connect(
        _address: tuple[str, int], timeout: float, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        return socket.create_connection((address, port), timeout, source_address)

    return connect


def host_check(host: str, port: int) -> None:
    """Refuse a host at registration (a no-op when private hosts are allowed)."""
    if not private_hosts_allowed():
        public_address(host, port)

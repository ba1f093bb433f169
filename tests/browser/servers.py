"""Real ASGI server processes (daphne) for browser tests that need more than the live_server
thread: several processes sharing the test database and the Redis channel layer, or a server
that is killed and started again."""

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD
from tests.processes import AsgiServer


def require_postgresql_and_redis() -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip(
            "needs DATABASE_URL (PostgreSQL) and REDIS_URL: server processes must share "
            "the database and the channel layer with the test (CI sets both)"
        )


def database_url() -> str:
    """The test database, as the server processes must reach it."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def server_env(private_root: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PRIVATE_STORAGE_ROOT": str(private_root),
        "DEBUG": "true",
        "RECOGNITION_WORKERS": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser fixture, for this process
    return env


class _Link:
    """One relayed connection: a browser's socket and the proxy's to the server."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.silent = False
        self.closed_by: str | None = None  # "browser" or "server", once either end closes

    def start(self) -> None:
        for source, sink, end in (
            (self.client, self.upstream, "browser"),
            (self.upstream, self.client, "server"),
        ):
            threading.Thread(target=self._pump, args=(source, sink, end), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, end: str) -> None:
        try:
            while data := source.recv(65536):
                if not self.silent:
                    sink.sendall(data)
        except OSError:
            pass
        self.closed_by = self.closed_by or end
        if not self.silent:  # a black hole carries no close either
            self.shut()

    @property
    def open(self) -> bool:
        return self.closed_by is None

    def shut(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv
            sock.close()


class SilentProxy:
    """A TCP proxy on its own port of 127.0.0.1 in front of a server. `go_silent()` makes every
    connection relayed so far stop carrying bytes, either way, while both of its sockets stay
    open: what a browser and a server see when the Wi-Fi goes or a NAT forgets the mapping
    (neither end gets a close, so neither notices). Connections made later are relayed again;
    with `hold_new`, only after `release()` (the network coming back)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.links: list[_Link] = []
        self.relaying = threading.Event()
        self.relaying.set()
        self.stopped = False

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # stopped
            self.relaying.wait()  # held: this one waits here, later ones in the listen backlog
            if self.stopped:
                client.close()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()  # the server is down: refused, as it would be directly
                continue
            link = _Link(client, upstream)
            self.links.append(link)
            link.start()

    def go_silent(self, *, hold_new: bool = False) -> list[_Link]:
        """Silences the connections relayed so far and returns them."""
        if hold_new:
            self.relaying.clear()
        silenced = [link for link in self.links if link.open]
        for link in silenced:
            link.silent = True
        return silenced

    def release(self) -> None:
        self.relaying.set()

    def cut(self, links: list[_Link]) -> None:
        """Closes silenced connections at last, as a browser's TCP stack would give up."""
        for link in links:
            link.shut()

    def stop(self) -> None:
        self.stopped = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
        self.listener.close()
        self.relaying.set()
        for link in self.links:
            link.shut()


def start_all(servers: list[AsgiServer], timeout: float = 30) -> None:
    for server in servers:
        server.start()
    deadline = time.monotonic() + timeout
    for server in servers:
        server.wait_until_listening(deadline)


def server_password(*memberships) -> None:
    """The suite hashes passwords with MD5 for speed; the server processes do not accept that
    hasher, so these logins get a PBKDF2 hash as production would store."""
    hasher = PBKDF2PasswordHasher()
    for membership in memberships:
        user = membership.user
        user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        user.save(update_fields=["password"])


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")

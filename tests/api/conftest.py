"""The API's cast: keys of school A (read, read-write, revoked) and of school B."""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiKeyScope
from accounts.scoping import organisation_scope
from accounts.services import api_key_revoke
from tests.conftest import api_key_for


@dataclass
class Key:
    plaintext: str
    api_key: object

    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.plaintext}")


def _key(school, scope, name="SIS"):
    api_key, plaintext = api_key_for(school, scope, name)
    return Key(plaintext, api_key)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key_a(school_a):
    return _key(school_a, ApiKeyScope.READ_WRITE, "SIS sync")


@pytest.fixture
def read_key_a(school_a):
    return _key(school_a, ApiKeyScope.READ, "Reporting")


@pytest.fixture
def revoked_key_a(school_a):
    key = _key(school_a, ApiKeyScope.READ_WRITE, "Old SIS")
    with organisation_scope(school_a.organisation):
        api_key_revoke(api_key=key.api_key)
    return key


@pytest.fixture
def key_b(school_b):
    return _key(school_b, ApiKeyScope.READ_WRITE, "Birch SIS")


@pytest.fixture
def api(key_a):
    return key_a.client()


# ----------------------------------------------------------------------------- webhooks


@pytest.fixture
def eager_celery(settings):
    """Deliveries run in the test's thread even when REDIS_URL is set, first retry after 1 s."""
    from attendance_project.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    yield
    celery_app.conf.task_always_eager = previous


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that answers the given statuses in turn, then 200."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()

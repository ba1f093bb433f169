"""WebSocket clients against the real ASGI application (auth, origin check, routing)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from attendance_project.asgi import application
from tests.conftest import session_cookie


@pytest.fixture
async def connect():
    """Open a socket as a membership (None: anonymous), as a browser of this site would."""
    opened = []

    async def open_socket(path, membership=None):
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if membership is not None:
            cookie = await sync_to_async(session_cookie)(membership)
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        opened.append(communicator)
        return communicator

    yield open_socket
    for communicator in opened:
        # Leave no consumer task running into the next test.
        await communicator.disconnect()

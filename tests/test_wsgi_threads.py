"""HTTP through the ASGI app, as daphne or uvicorn call it: a response Django holds whole is sent
in one part, a request's body reaches Django however the server splits it, and each school's
key sees its own school. (Streamed exports: tests/records/test_csv_streaming.py.)"""

import json

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async

from accounts.scoping import organisation_scope
from attendance_project.asgi import application
from attendance_project.wsgi_threads import WSGIThreads
from records.models import Student
from tests.conftest import api_key_for

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


def key_of(school) -> str:
    return api_key_for(school)[1]


def http_scope(method: str, path: str, key: str, length: int = 0) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def call(scope: dict, *body_parts: bytes) -> list[dict]:
    """Every message the app sends back, the request's body given in these parts."""
    server = ApplicationCommunicator(application, scope)
    parts = body_parts or (b"",)
    for n, part in enumerate(parts, start=1):
        await server.send_input({"type": "http.request", "body": part, "more_body": n < len(parts)})
    messages = [await server.receive_output(timeout=10)]
    while messages[-1]["type"] != "http.response.body" or messages[-1].get("more_body"):
        messages.append(await server.receive_output(timeout=10))
    await server.wait(timeout=10)
    return messages


async def test_a_whole_response_is_sent_as_its_start_and_one_body(school_a, school_b):
    key_a = await database_sync_to_async(key_of)(school_a)

    start, body = await call(http_scope("GET", "/api/v1/students/", key_a))

    assert start["type"] == "http.response.start"
    assert start["status"] == 200
    assert (b"content-type", b"application/json") in start["headers"]
    assert not body.get("more_body")
    names = [s["student_number"] for s in json.loads(body["body"])["results"]]
    assert names == [school_a.student.student_number]


async def test_a_request_body_in_parts_reaches_django_whole(school_a, school_b):
    key_b = await database_sync_to_async(key_of)(school_b)
    payload = json.dumps(
        {"given_name": "Ada", "family_name": "Lovelace", "student_number": "N42"}
    ).encode()

    start, body = await call(
        http_scope("PUT", "/api/v1/students/by-external-id/sis-42/", key_b, len(payload)),
        payload[:10],
        payload[10:],
    )

    assert start["status"] == 201, body
    assert json.loads(body["body"])["external_id"] == "sis-42"

    def owners():
        with organisation_scope(school_b.organisation):
            in_b = Student.objects.filter(external_id="sis-42").count()
        with organisation_scope(school_a.organisation):
            in_a = Student.objects.filter(external_id="sis-42").count()
        return in_a, in_b

    assert await database_sync_to_async(owners)() == (0, 1)


async def test_it_serves_http_only():
    app = WSGIThreads(lambda environ, start_response: [b""], threads=1)
    with pytest.raises(ValueError, match="websocket"):
        await app({"type": "websocket"}, None, None)

"""Through the server (daphne, uvicorn) an export is sent while it is read, a batch of rows at a
time, instead of being held whole first or sent a line at a time."""

import csv
import io
from urllib.parse import urlencode

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings

from accounts.models import ApiKeyScope
from accounts.scoping import organisation_scope
from attendance_project.asgi import application
from records import csv_download, reports
from records.api import exports
from records.models import AttendanceRecord
from tests.conftest import api_key_for, session_cookie
from tests.records.test_reports import week  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


async def _download(
    membership, path: str, query: dict[str, str], *, api_key: str = ""
) -> list[bytes]:
    """GET through the project's ASGI application, as daphne or uvicorn would: the body parts
    in the order the server would send them. As the member logged in, or with the API key."""
    if api_key:
        credentials = (b"authorization", f"Bearer {api_key}".encode())
    else:
        cookie = await database_sync_to_async(session_cookie)(membership)
        credentials = (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(query).encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), credentials],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    server = ApplicationCommunicator(application, scope)
    await server.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await server.receive_output(timeout=10)
    assert start["status"] == 200
    assert (b"content-type", b"text/csv; charset=utf-8") in [
        (name.lower(), value) for name, value in start["headers"]
    ]
    parts = []
    while (message := await server.receive_output(timeout=10)).get("more_body"):
        parts.append(message["body"])
    await server.wait(timeout=10)
    return parts


async def test_the_records_csv_arrives_in_batches_with_every_row_once(
    week,  # noqa: F811
    school_a,
    school_b,
    monkeypatch,
):
    monkeypatch.setattr(csv_download, "BATCH_ROWS", 3)
    parts = await _download(
        school_a.admin,
        "/reports/school/records.csv",
        {"start": "2026-03-02", "end": "2026-03-06"},
    )
    rows = list(csv.reader(io.StringIO(b"".join(parts).decode())))
    # Header + 9 records, 3 lines a batch; line by line they would be 10 parts.
    assert len(parts) == 4
    assert rows[0] == reports.RECORD_HEADER
    assert len(rows) == 1 + 9
    assert school_b.student.family_name not in b"".join(parts).decode()


async def test_the_seed_compatible_daily_csv_streams_too(
    week,  # noqa: F811
    school_a,
    school_b,
    monkeypatch,
):
    monkeypatch.setattr(csv_download, "BATCH_ROWS", 1)
    parts = await _download(
        school_a.teacher,
        f"/classes/{week['class_7a'].public_id}/export/daily.csv",
        {"date": "2026-03-02"},
    )
    rows = list(csv.reader(io.StringIO(b"".join(parts).decode())))
    assert rows[0] == ["Name", "Roll", "Time"]
    assert {row[0] for row in rows[1:]} == {"Sam Adams", "Ada Lovelace"}
    assert len(parts) == 3


def _records_and_key(school) -> tuple[set[str], str]:
    with organisation_scope(school.organisation):
        ids = {str(r) for r in AttendanceRecord.objects.values_list("public_id", flat=True)}
    return ids, api_key_for(school, ApiKeyScope.READ)[1]


async def test_the_apis_edfi_csv_streams_every_record_of_its_school_once(
    week,  # noqa: F811
    school_a,
    school_b,
    monkeypatch,
):
    ids_a, key_a = await database_sync_to_async(_records_and_key)(school_a)
    ids_b, _ = await database_sync_to_async(_records_and_key)(school_b)
    assert ids_a
    assert ids_b  # school B has records of its own, none of which may appear
    monkeypatch.setattr(csv_download, "BATCH_ROWS", 4)
    parts = await _download(None, "/api/v1/attendance-events.csv", {}, api_key=key_a)
    rows = list(csv.reader(io.StringIO(b"".join(parts).decode())))
    assert rows[0] == exports.CSV_COLUMNS
    assert sorted(row[0] for row in rows[1:]) == sorted(ids_a)
    assert len(parts) == -(-len(rows) // 4)  # header and records, 4 lines a part

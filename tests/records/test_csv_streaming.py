"""Under ASGI (daphne, uvicorn) an export is sent while it is read, a batch of rows at a time,
instead of being held whole by the server first."""

import csv
import io

import pytest
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.test import AsyncClient

from records import csv_download, reports
from tests.records.test_reports import week  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _download(membership, path, query):
    client = AsyncClient()
    await client.aforce_login(membership.user)
    try:
        response = await client.get(path, query)
        assert response.status_code == 200
        assert response.is_async, "an async iterator: Django would buffer a sync one under ASGI"
        return [part async for part in response.streaming_content]
    finally:
        # The test client keeps Django from closing the request thread's connection (a server
        # closes it when the response ends); PostgreSQL must not keep it past the test.
        await sync_to_async(close_old_connections, thread_sensitive=True)()


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
    assert len(parts) == 4  # header + 9 records, 3 lines a batch
    assert rows[0] == reports.RECORD_HEADER
    assert len(rows) == 1 + 9
    assert school_b.student.family_name not in b"".join(parts).decode()


async def test_the_seed_compatible_daily_csv_streams_too(week, school_a, school_b):  # noqa: F811
    parts = await _download(
        school_a.teacher,
        f"/classes/{week['class_7a'].public_id}/export/daily.csv",
        {"date": "2026-03-02"},
    )
    rows = list(csv.reader(io.StringIO(b"".join(parts).decode())))
    assert rows[0] == ["Name", "Roll", "Time"]
    assert {row[0] for row in rows[1:]} == {"Sam Adams", "Ada Lovelace"}

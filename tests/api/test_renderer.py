"""The API's JSON is written by orjson, and reads byte for byte as DRF's JSONRenderer writes it."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils.functional import lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from accounts.renderers import ApiJSONRenderer
from records.models import AttendanceStatus

lazy_text = lazy(lambda: "Anwesend", str)

SAMPLES = {
    "a page": {
        "next": None,
        "results": [{"id": str(uuid.uuid4()), "status": "late", "excuse_reason": ""}],
    },
    "serializer data": ReturnDict(
        {"a": ReturnList([1, 2.5, True, None], serializer=None)}, serializer=None
    ),
    "unicode and JavaScript's line separators": {"name": 'Zoë 李 \u2028 \u2029 "quoted" \\'},
    "instants and days": {
        "at": datetime(2026, 9, 14, 8, 12, 31, 123456, tzinfo=UTC),
        "day": date(2026, 9, 14),
        "time": time(8, 12, 31, 5),
        "lasted": timedelta(minutes=5),
    },
    "numbers": {"decimal": Decimal("1.10"), "big": 2**63 - 1, "negative": -3, "float": 0.1},
    "ids and choices": {"id": uuid.UUID(int=7), "status": AttendanceStatus.LATE},
    "a lazy translation": {"label": lazy_text()},
    "keys that are not text": {1: "one", None: "none"},
    "an integer beyond 64 bits": {"n": 2**70},
    "bytes": {"b": b"raw"},
}


@pytest.mark.parametrize("data", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_json_is_drfs_byte_for_byte(data):
    assert ApiJSONRenderer().render(data) == JSONRenderer().render(data)


def test_pretty_printing_on_request_is_drfs():
    data = SAMPLES["a page"]
    media_type = "application/json; indent=4"
    assert ApiJSONRenderer().render(data, media_type) == JSONRenderer().render(data, media_type)


def test_no_data_is_an_empty_body():
    assert ApiJSONRenderer().render(None) == b""


def test_api_responses_are_written_by_it(key_a, school_a):
    response = key_a.client().get("/api/v1/organisation/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, ApiJSONRenderer)
    assert response.content == JSONRenderer().render(response.json())

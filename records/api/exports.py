"""The Ed-Fi-style attendance export: each record as a StudentSectionAttendanceEvent.

Statuses map to Ed-Fi's AttendanceEventCategoryDescriptor values; a school may override the
mapping (`Organisation.edfi_category_overrides`, e.g. `{"late": "In Attendance"}`). Overrides
naming a category Ed-Fi does not have are ignored, so an export never carries an invalid one.
"""

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organisation
from records.api.common import ApiView, KeysetCursorPagination
from records.attendance_list import records_filtered
from records.csv_download import csv_download
from records.models import AttendanceRecord, AttendanceStatus
from records.serializers import AttendanceEventOut, AttendanceFilter

EDFI_CATEGORIES = ("In Attendance", "Excused Absence", "Unexcused Absence", "Tardy")
EDFI_DEFAULT = {
    AttendanceStatus.PRESENT: "In Attendance",
    AttendanceStatus.LATE: "Tardy",
    AttendanceStatus.ABSENT: "Unexcused Absence",
    AttendanceStatus.EXCUSED: "Excused Absence",
}
DESCRIPTOR = "uri://ed-fi.org/AttendanceEventCategoryDescriptor#{}"
CSV_COLUMNS = [
    "id",
    "student_unique_id",
    "student_external_id",
    "section_identifier",
    "session_id",
    "event_date",
    "attendance_event_category_descriptor",
    "attendance_event_category",
    "attendance_event_reason",
    "arrival_time",
    "status",
    "updated_at",
]


def edfi_mapping(organisation: Organisation) -> dict[str, str]:
    overrides = organisation.edfi_category_overrides or {}
    mapping = {str(status): category for status, category in EDFI_DEFAULT.items()}
    for status, category in overrides.items():
        if status in mapping and category in EDFI_CATEGORIES:
            mapping[status] = category
    return mapping


def attendance_event(
    record: AttendanceRecord, mapping: dict[str, str], zone: ZoneInfo
) -> dict[str, Any]:
    category = mapping[record.status]
    school_class = record.session.school_class
    return {
        "id": record.public_id,
        "student_unique_id": record.student.student_number,
        "student_external_id": record.student.external_id,
        "section_identifier": school_class.external_id or school_class.name,
        "session_id": record.session.public_id,
        "event_date": timezone.localtime(record.session.opened_at, zone).date(),
        "attendance_event_category_descriptor": DESCRIPTOR.format(category),
        "attendance_event_category": category,
        "attendance_event_reason": record.excuse_reason,
        "arrival_time": record.first_seen_at,
        "status": record.status,
        "updated_at": record.updated_at,
    }


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        # Only errors reach a renderer here (the export itself streams), and the view hands them
        # to JSONRenderer; this is the fallback DRF's signature asks for.
        return JSONRenderer().render(data)


class AttendanceEventList(ApiView):
    serializer_class = AttendanceEventOut
    filter_serializer = AttendanceFilter
    pagination_class = KeysetCursorPagination

    @extend_schema(
        operation_id="attendance_events_list",
        summary="Ed-Fi attendance events",
        description=(
            "Each attendance record as an Ed-Fi StudentSectionAttendanceEvent: present → In "
            "Attendance, late → Tardy, absent → Unexcused Absence, excused → Excused Absence, "
            "unless the school overrides the mapping (see `/organisation/`). Same filters and "
            "cursor as `/attendance/`."
        ),
        parameters=[AttendanceFilter],
        examples=[
            OpenApiExample(
                "An event",
                value={
                    "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
                    "student_unique_id": "S00042",
                    "student_external_id": "sis-1815",
                    "section_identifier": "sec-7a-math",
                    "session_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                    "event_date": "2026-09-14",
                    "attendance_event_category_descriptor": (
                        "uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy"
                    ),
                    "attendance_event_category": "Tardy",
                    "attendance_event_reason": "",
                    "arrival_time": "2026-09-14T08:12:31Z",
                    "status": "late",
                    "updated_at": "2026-09-14T08:12:31Z",
                },
                response_only=True,
            )
        ],
        tags=["exports"],
    )
    def get(self, request: Request) -> Response:
        organisation = self.organisation
        records = records_filtered(organisation, self.filters())
        page = self.paginate_queryset(records)
        mapping, zone = edfi_mapping(organisation), ZoneInfo(organisation.timezone)
        events = [attendance_event(record, mapping, zone) for record in page]
        return self.get_paginated_response(AttendanceEventOut(events, many=True).data)


class AttendanceEventCsv(ApiView):
    filter_serializer = AttendanceFilter
    renderer_classes = [JSONRenderer, CsvRenderer]
    pagination_class = None

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # An error is JSON in the one error shape, whatever the client said it accepts.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        operation_id="attendance_events_csv",
        summary="Ed-Fi attendance events as CSV",
        description="Every event matching the filters, streamed, oldest change first.",
        parameters=[AttendanceFilter],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="One header row, then one row per event."
            )
        },
        tags=["exports"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        organisation = self.organisation
        # Built inside the scope; iterated as the response streams (the scope is checked when
        # a queryset is created, and the rows need no further query).
        records = (
            records_filtered(organisation, self.filters())
            .order_by("updated_at", "public_id")
            .iterator(chunk_size=2000)
        )
        mapping, zone = edfi_mapping(organisation), ZoneInfo(organisation.timezone)

        def rows() -> Iterator[list[object]]:
            for record in records:
                event = attendance_event(record, mapping, zone)
                yield [
                    ""
                    if event[c] is None
                    else (event[c].isoformat() if hasattr(event[c], "isoformat") else event[c])
                    for c in CSV_COLUMNS
                ]

        return csv_download(rows(), "attendance-events.csv", header=CSV_COLUMNS)

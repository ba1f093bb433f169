"""Sessions, attendance records and the school's settings, for a student information system."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, QuerySet, UUIDField
from django.db.models.sql.compiler import SQLCompiler
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey, Organisation
from records import services
from records.api.common import ApiView, KeysetCursorPagination, get_or_400, get_or_404
from records.api.roster import NO_SUCH_CLASS
from records.models import AttendanceRecord, AttendanceSource, ClassSession
from records.selectors import SESSION_NOT_FOUND, day_bounds
from records.serializers import (
    AttendanceFilter,
    AttendanceRecordOut,
    ClassSessionOut,
    OrganisationOut,
    SessionFilter,
    SessionOpenIn,
    StatusChangeIn,
)

RECORD_NOT_FOUND = "No such attendance record."

RECORD_EXAMPLE = OpenApiExample(
    "A record",
    value={
        "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        "session_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "class_id": "0b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
        "student_id": "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f",
        "status": "late",
        "excuse_reason": "",
        "source": "face",
        "first_seen_at": "2026-09-14T08:12:31Z",
        "created_at": "2026-09-14T08:12:31Z",
        "updated_at": "2026-09-14T08:12:31Z",
    },
    response_only=True,
)


def sessions_filtered(
    organisation: Organisation, queryset: QuerySet, filters: dict[str, Any], prefix: str = ""
) -> QuerySet:
    """Filters by class and by school days (the session's opening, in the school's time zone)."""
    if "class_id" in filters:
        queryset = queryset.filter(**{f"{prefix}school_class__public_id": filters["class_id"]})
    if "date_from" in filters:
        start, _ = day_bounds(organisation=organisation, day=filters["date_from"])
        queryset = queryset.filter(**{f"{prefix}opened_at__gte": start})
    if "date_to" in filters:
        _, end = day_bounds(organisation=organisation, day=filters["date_to"])
        queryset = queryset.filter(**{f"{prefix}opened_at__lt": end})
    return queryset


def records_filtered(organisation: Organisation, filters: dict[str, Any]) -> QuerySet:
    records = sessions_filtered(
        organisation,
        organisation.attendance_records.select_related("session__school_class", "student"),
        filters,
        prefix="session__",
    )
    if "student_id" in filters:
        records = records.filter(student__public_id=filters["student_id"])
    if "status" in filters:
        records = records.filter(status=filters["status"])
    if "source" in filters:
        records = records.filter(source=filters["source"])
    if "updated_since" in filters:
        records = records.filter(updated_at__gte=filters["updated_since"])
    return records


# ----------------------------------------------------------------------------- sessions


class SessionList(ApiView):
    serializer_class = ClassSessionOut
    filter_serializer = SessionFilter

    @extend_schema(
        operation_id="sessions_list",
        summary="List sessions (registers)",
        parameters=[SessionFilter],
        tags=["attendance"],
    )
    def get(self, request: Request) -> Response:
        filters = self.filters()
        sessions = sessions_filtered(
            self.organisation,
            self.organisation.class_sessions.select_related("school_class", "opened_by__user"),
            filters,
        )
        if "status" in filters:
            sessions = sessions.filter(status=filters["status"])
        return self.paginated(sessions.order_by("-opened_at", "-id"), ClassSessionOut)

    @extend_schema(
        operation_id="sessions_open",
        summary="Open a class's session",
        description=(
            "Idempotent: 201 when opened now, 200 with the session already open. Through an API "
            "key the session is opened in the name of the admin who created the key."
        ),
        request=SessionOpenIn,
        responses={200: ClassSessionOut, 201: ClassSessionOut},
        tags=["attendance"],
    )
    def post(self, request: Request) -> Response:
        self.filters()
        serializer = SessionOpenIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        school_class = get_or_400(
            self.organisation.school_classes.all(),
            "class_id",
            NO_SUCH_CLASS,
            public_id=serializer.validated_data["class_id"],
        )
        session, created = services.session_open(
            school_class=school_class, opened_by=self.acting_membership()
        )
        return Response(
            ClassSessionOut(session).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SessionDetail(ApiView):
    serializer_class = ClassSessionOut

    @extend_schema(operation_id="sessions_retrieve", summary="Read a session", tags=["attendance"])
    def get(self, request: Request, public_id: str) -> Response:
        self.filters()
        session = get_or_404(
            self.organisation.class_sessions.select_related("school_class", "opened_by__user"),
            SESSION_NOT_FOUND,
            public_id=public_id,
        )
        return Response(ClassSessionOut(session).data)


class SessionClose(ApiView):
    serializer_class = ClassSessionOut

    @extend_schema(
        operation_id="sessions_close",
        summary="Close a session",
        description="Everyone on the roster without a record is marked absent. Idempotent.",
        request=None,
        tags=["attendance"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        self.filters()
        session: ClassSession = get_or_404(
            self.organisation.class_sessions.all(), SESSION_NOT_FOUND, public_id=public_id
        )
        session = services.session_close(session=session, closed_by=self.acting_membership())
        session = self.organisation.class_sessions.select_related(
            "school_class", "opened_by__user"
        ).get(pk=session.pk)
        return Response(ClassSessionOut(session).data)


# ----------------------------------------------------------------------------- records


class ApiText(Func):
    """A UUID or timestamp column as the text the API writes, made by PostgreSQL itself.

    Profiled, turning 400 UUIDs and 300 timestamps a page into Python objects only to print them
    again cost more than the query. On other databases (SQLite) the column comes back as it is
    and `api_text` prints it; a test holds both to what AttendanceRecordOut writes.
    """

    arity = 1
    template = "%(expressions)s"

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Sequence[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        if isinstance(self.output_field, UUIDField):
            return f"({sql})::text", params
        # DRF's DateTimeField: ISO 8601 in UTC ending in Z, with microseconds only if not zero.
        return (
            f"replace(to_char(({sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
            "'.000000Z', 'Z')",
            params,
        )


def utc_text(value: datetime) -> str:
    """ISO 8601 in UTC with `Z`, as DRF's DateTimeField writes it inside the API's UTC override."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def api_text(value: object) -> str | None:
    """An ApiText value as the API writes it: PostgreSQL's text as is, anything else printed."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return utc_text(value)
    return str(value)


# A record of the list as named values: AttendanceRecordOut's keys with `out_` in front (an
# annotation may not take the name of a model field, and `id` or `session_id` are ones).
RECORD_OUT_VALUES = {
    "out_id": ApiText("public_id"),
    "out_session_id": ApiText("session__public_id"),
    "out_class_id": ApiText("session__school_class__public_id"),
    "out_student_id": ApiText("student__public_id"),
    "out_first_seen_at": ApiText("first_seen_at"),
    "out_created_at": ApiText("created_at"),
    "out_updated_at": ApiText("updated_at"),
}


def record_rows_out(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Named rows of RECORD_OUT_VALUES → exactly AttendanceRecordOut's data, without it."""
    return [
        {
            "id": api_text(row.out_id),
            "session_id": api_text(row.out_session_id),
            "class_id": api_text(row.out_class_id),
            "student_id": api_text(row.out_student_id),
            "status": row.status,
            "excuse_reason": row.excuse_reason,
            "source": row.source,
            "first_seen_at": api_text(row.out_first_seen_at),
            "created_at": api_text(row.out_created_at),
            "updated_at": api_text(row.out_updated_at),
        }
        for row in rows
    ]


class RecordCursorPagination(KeysetCursorPagination):
    """The list's rows carry their position as the API's text (see RECORD_OUT_VALUES)."""

    position_fields = ("out_updated_at", "out_id")


class AttendanceList(ApiView):
    serializer_class = AttendanceRecordOut  # the schema; record_rows_out writes the rows
    filter_serializer = AttendanceFilter
    pagination_class = RecordCursorPagination

    @extend_schema(
        operation_id="attendance_list",
        summary="List attendance records",
        description=(
            "Ordered by last change. To keep a copy in sync, follow `next` to the end, keep "
            "the `poll` link and call it every few minutes: it returns what changed since."
        ),
        parameters=[AttendanceFilter],
        examples=[RECORD_EXAMPLE],
        tags=["attendance"],
    )
    def get(self, request: Request) -> Response:
        records = (
            records_filtered(self.organisation, self.filters())
            .annotate(**RECORD_OUT_VALUES)
            .values_list(*RECORD_OUT_VALUES, "status", "excuse_reason", "source", named=True)
        )
        page = self.paginate_queryset(records)
        return self.get_paginated_response(record_rows_out(page))


class AttendanceDetail(ApiView):
    serializer_class = AttendanceRecordOut

    def record(self, public_id: str) -> AttendanceRecord:
        self.filters()
        return get_or_404(
            self.organisation.attendance_records.select_related("session__school_class", "student"),
            RECORD_NOT_FOUND,
            public_id=public_id,
        )

    @extend_schema(
        operation_id="attendance_retrieve",
        summary="Read an attendance record",
        examples=[RECORD_EXAMPLE],
        tags=["attendance"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        return Response(AttendanceRecordOut(self.record(public_id)).data)


class AttendanceStatusChange(ApiView):
    serializer_class = AttendanceRecordOut

    @extend_schema(
        operation_id="attendance_set_status",
        summary="Change a record's status",
        description="Audited with source `api`. A reason is needed for `excused` and after close.",
        request=StatusChangeIn,
        examples=[
            OpenApiExample(
                "Excuse",
                value={"status": "excused", "reason": "Dentist appointment (note from parent)"},
                request_only=True,
            )
        ],
        tags=["attendance"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        self.filters()
        record = get_or_404(
            self.organisation.attendance_records.all(), RECORD_NOT_FOUND, public_id=public_id
        )
        serializer = StatusChangeIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.attendance_set_status(
            record=record,
            status=serializer.validated_data["status"],
            reason=serializer.validated_data["reason"],
            actor=None if isinstance(request.auth, ApiKey) else request.user,
            source=AttendanceSource.API,
        )
        record = self.organisation.attendance_records.select_related(
            "session__school_class", "student"
        ).get(pk=record.pk)
        return Response(AttendanceRecordOut(record).data)


class OrganisationDetail(ApiView):
    serializer_class = OrganisationOut
    pagination_class = None  # one object, not a list

    @extend_schema(
        operation_id="organisation_retrieve",
        summary="Read the school's settings",
        tags=["organisation"],
    )
    def get(self, request: Request) -> Response:
        self.filters()
        return Response(OrganisationOut(self.organisation).data)

"""Sessions, attendance records and the school's settings, for a student information system."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from records import services
from records.api.common import ApiView, KeysetCursorPagination, get_or_400, get_or_404
from records.api.roster import NO_SUCH_CLASS
from records.attendance_list import (
    SESSION_LOOKUPS,
    attendance_page,
    filtered,
    record_conditions,
    session_conditions,
)
from records.models import AttendanceRecord, AttendanceSource, ClassSession
from records.selectors import SESSION_NOT_FOUND
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
        sessions = filtered(
            self.organisation.class_sessions.select_related("school_class", "opened_by__user"),
            session_conditions(self.organisation, filters),
            SESSION_LOOKUPS,
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


class RecordCursorPagination(KeysetCursorPagination):
    def position(self, row: dict[str, Any]) -> tuple[str, str]:
        """The list's rows are the API's output already (records/attendance_list.py)."""
        return row["updated_at"], row["id"]


class AttendanceList(ApiView):
    serializer_class = AttendanceRecordOut  # the schema; attendance_page writes the rows
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
        conditions = record_conditions(self.organisation, self.filters())
        size, after = self.paginator.start(request)
        rows = attendance_page(conditions, after=after, limit=size + 1)
        return self.get_paginated_response(self.paginator.finish(rows, size))


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

"""Students, classes and enrollments for a student information system (teachers: teachers.py)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from records import services
from records.api.common import ApiView, get_or_400, get_or_404
from records.models import Enrollment, SchoolClass, Student
from records.selectors import CLASS_NOT_FOUND, STUDENT_NOT_FOUND
from records.serializers import (
    EnrollmentFilter,
    EnrollmentIn,
    EnrollmentOut,
    RosterFilter,
    SchoolClassIn,
    SchoolClassOut,
    SchoolClassUpsertIn,
    StudentIn,
    StudentOut,
    StudentUpsertIn,
)

NO_SUCH_CLASS = "No class of this school has that id."
NO_SUCH_STUDENT = "No student of this school has that id."
ENROLLMENT_NOT_FOUND = "No such enrollment."

STUDENT_EXAMPLE = OpenApiExample(
    "A student",
    value={
        "id": "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "student_number": "S00042",
        "external_id": "sis-1815",
        "archived_at": None,
        "created_at": "2026-09-01T07:55:00Z",
        "updated_at": "2026-09-01T07:55:00Z",
    },
    response_only=True,
)
STUDENT_INPUT_EXAMPLE = OpenApiExample(
    "New student",
    value={
        "given_name": "Ada",
        "family_name": "Lovelace",
        "student_number": "S00042",
        "external_id": "sis-1815",
    },
    request_only=True,
)
CLASS_EXAMPLE = OpenApiExample(
    "A class",
    value={
        "id": "0b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
        "name": "7A Mathematics",
        "external_id": "sec-7a-math",
        "archived_at": None,
        "created_at": "2026-09-01T07:55:00Z",
        "updated_at": "2026-09-01T07:55:00Z",
    },
    response_only=True,
)


def _roster_filtered(queryset: QuerySet, filters: dict[str, Any]) -> QuerySet:
    if not filters.get("include_archived"):
        queryset = queryset.filter(archived_at__isnull=True)
    if "external_id" in filters:
        queryset = queryset.filter(external_id=filters["external_id"])
    if "updated_since" in filters:
        queryset = queryset.filter(updated_at__gte=filters["updated_since"])
    return queryset


def _valid(serializer_class: type, request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ----------------------------------------------------------------------------- students


class StudentList(ApiView):
    serializer_class = StudentOut
    filter_serializer = RosterFilter

    @extend_schema(
        operation_id="students_list",
        summary="List students",
        parameters=[RosterFilter],
        examples=[STUDENT_EXAMPLE],
        tags=["roster"],
    )
    def get(self, request: Request) -> Response:
        students = _roster_filtered(self.organisation.students.all(), self.filters())
        return self.paginated(students.order_by("family_name", "given_name", "id"), StudentOut)

    @extend_schema(
        operation_id="students_create",
        summary="Create a student",
        request=StudentIn,
        responses={201: StudentOut},
        examples=[STUDENT_INPUT_EXAMPLE, STUDENT_EXAMPLE],
        tags=["roster"],
    )
    def post(self, request: Request) -> Response:
        self.filters()
        student = services.student_create(
            organisation=self.organisation, **_valid(StudentIn, request)
        )
        return Response(StudentOut(student).data, status=status.HTTP_201_CREATED)


class StudentDetail(ApiView):
    serializer_class = StudentOut

    def student(self, public_id: str) -> Student:
        self.filters()
        return get_or_404(self.organisation.students.all(), STUDENT_NOT_FOUND, public_id=public_id)

    @extend_schema(operation_id="students_retrieve", summary="Read a student", tags=["roster"])
    def get(self, request: Request, public_id: str) -> Response:
        return Response(StudentOut(self.student(public_id)).data)

    @extend_schema(
        operation_id="students_update",
        summary="Change some of a student's fields",
        request=StudentIn(partial=True),
        tags=["roster"],
    )
    def patch(self, request: Request, public_id: str) -> Response:
        student = self.student(public_id)
        changes = _valid(StudentIn, request, partial=True)
        return Response(StudentOut(services.student_update(student=student, **changes)).data)


class StudentArchive(ApiView):
    serializer_class = StudentOut

    @extend_schema(
        operation_id="students_archive",
        summary="Archive a student",
        description="The student keeps their attendance history and leaves every class.",
        request=None,
        tags=["roster"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        self.filters()
        student = get_or_404(
            self.organisation.students.all(), STUDENT_NOT_FOUND, public_id=public_id
        )
        return Response(StudentOut(services.student_archive(student=student)).data)


class StudentUpsert(ApiView):
    serializer_class = StudentOut

    @extend_schema(
        operation_id="students_upsert",
        summary="Create or update a student by the SIS's own id",
        description="201 when the student was created, 200 when an existing one was updated.",
        request=StudentUpsertIn,
        responses={200: StudentOut, 201: StudentOut},
        tags=["roster"],
    )
    def put(self, request: Request, external_id: str) -> Response:
        self.filters()
        data = _valid(StudentUpsertIn, request)
        student = self.organisation.students.filter(external_id=external_id).first()
        if student is not None:
            return Response(StudentOut(services.student_update(student=student, **data)).data)
        student = services.student_create(
            organisation=self.organisation, external_id=external_id, **data
        )
        return Response(StudentOut(student).data, status=status.HTTP_201_CREATED)


# ----------------------------------------------------------------------------- classes


class SchoolClassList(ApiView):
    serializer_class = SchoolClassOut
    filter_serializer = RosterFilter

    @extend_schema(
        operation_id="classes_list",
        summary="List classes",
        parameters=[RosterFilter],
        examples=[CLASS_EXAMPLE],
        tags=["roster"],
    )
    def get(self, request: Request) -> Response:
        classes = _roster_filtered(self.organisation.school_classes.all(), self.filters())
        return self.paginated(classes.order_by("name", "id"), SchoolClassOut)

    @extend_schema(
        operation_id="classes_create",
        summary="Create a class",
        request=SchoolClassIn,
        responses={201: SchoolClassOut},
        tags=["roster"],
    )
    def post(self, request: Request) -> Response:
        self.filters()
        school_class = services.school_class_create(
            organisation=self.organisation, **_valid(SchoolClassIn, request)
        )
        return Response(SchoolClassOut(school_class).data, status=status.HTTP_201_CREATED)


class SchoolClassDetail(ApiView):
    serializer_class = SchoolClassOut

    def school_class(self, public_id: str) -> SchoolClass:
        self.filters()
        return get_or_404(
            self.organisation.school_classes.all(), CLASS_NOT_FOUND, public_id=public_id
        )

    @extend_schema(operation_id="classes_retrieve", summary="Read a class", tags=["roster"])
    def get(self, request: Request, public_id: str) -> Response:
        return Response(SchoolClassOut(self.school_class(public_id)).data)

    @extend_schema(
        operation_id="classes_update",
        summary="Change some of a class's fields",
        request=SchoolClassIn(partial=True),
        tags=["roster"],
    )
    def patch(self, request: Request, public_id: str) -> Response:
        school_class = self.school_class(public_id)
        changes = _valid(SchoolClassIn, request, partial=True)
        school_class = services.school_class_update(school_class=school_class, **changes)
        return Response(SchoolClassOut(school_class).data)


class SchoolClassArchive(ApiView):
    serializer_class = SchoolClassOut

    @extend_schema(
        operation_id="classes_archive",
        summary="Archive a class",
        description="The class keeps its sessions and records; no new session can open.",
        request=None,
        tags=["roster"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        self.filters()
        school_class = get_or_404(
            self.organisation.school_classes.all(), CLASS_NOT_FOUND, public_id=public_id
        )
        return Response(
            SchoolClassOut(services.school_class_archive(school_class=school_class)).data
        )


class SchoolClassUpsert(ApiView):
    serializer_class = SchoolClassOut

    @extend_schema(
        operation_id="classes_upsert",
        summary="Create or update a class by the SIS's own id",
        description="201 when the class was created, 200 when an existing one was updated.",
        request=SchoolClassUpsertIn,
        responses={200: SchoolClassOut, 201: SchoolClassOut},
        tags=["roster"],
    )
    def put(self, request: Request, external_id: str) -> Response:
        self.filters()
        data = _valid(SchoolClassUpsertIn, request)
        school_class = self.organisation.school_classes.filter(external_id=external_id).first()
        if school_class is not None:
            school_class = services.school_class_update(school_class=school_class, **data)
            return Response(SchoolClassOut(school_class).data)
        school_class = services.school_class_create(
            organisation=self.organisation, external_id=external_id, **data
        )
        return Response(SchoolClassOut(school_class).data, status=status.HTTP_201_CREATED)


# ----------------------------------------------------------------------------- enrollments


class EnrollmentList(ApiView):
    serializer_class = EnrollmentOut
    filter_serializer = EnrollmentFilter

    def enrollments(self) -> QuerySet[Enrollment]:
        return self.organisation.enrollments.select_related("school_class", "student")

    @extend_schema(
        operation_id="enrollments_list",
        summary="List enrollments (who is in which class)",
        parameters=[EnrollmentFilter],
        tags=["roster"],
    )
    def get(self, request: Request) -> Response:
        filters = self.filters()
        enrollments = self.enrollments()
        if "class_id" in filters:
            enrollments = enrollments.filter(school_class__public_id=filters["class_id"])
        if "student_id" in filters:
            enrollments = enrollments.filter(student__public_id=filters["student_id"])
        return self.paginated(enrollments.order_by("created_at", "id"), EnrollmentOut)

    @extend_schema(
        operation_id="enrollments_create",
        summary="Enrol a student in a class",
        description="Idempotent: 201 when enrolled now, 200 when already enrolled.",
        request=EnrollmentIn,
        responses={200: EnrollmentOut, 201: EnrollmentOut},
        examples=[
            OpenApiExample(
                "Enrol",
                value={
                    "class_id": "0b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                    "student_id": "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f",
                },
                request_only=True,
            )
        ],
        tags=["roster"],
    )
    def post(self, request: Request) -> Response:
        self.filters()
        data = _valid(EnrollmentIn, request)
        school_class = get_or_400(
            self.organisation.school_classes.all(),
            "class_id",
            NO_SUCH_CLASS,
            public_id=data["class_id"],
        )
        student = get_or_400(
            self.organisation.students.all(),
            "student_id",
            NO_SUCH_STUDENT,
            public_id=data["student_id"],
        )
        enrollment, created = services.enrollment_create(school_class=school_class, student=student)
        return Response(
            EnrollmentOut(enrollment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class EnrollmentDetail(ApiView):
    serializer_class = EnrollmentOut

    def enrollment(self, public_id: str) -> Enrollment:
        self.filters()
        return get_or_404(
            self.organisation.enrollments.select_related("school_class", "student"),
            ENROLLMENT_NOT_FOUND,
            public_id=public_id,
        )

    @extend_schema(
        operation_id="enrollments_retrieve", summary="Read an enrollment", tags=["roster"]
    )
    def get(self, request: Request, public_id: str) -> Response:
        return Response(EnrollmentOut(self.enrollment(public_id)).data)

    @extend_schema(
        operation_id="enrollments_destroy",
        summary="Take a student out of a class",
        responses={204: None},
        tags=["roster"],
    )
    def delete(self, request: Request, public_id: str) -> Response:
        enrollment = self.enrollment(public_id)
        services.enrollment_delete(school_class=enrollment.school_class, student=enrollment.student)
        return Response(status=status.HTTP_204_NO_CONTENT)

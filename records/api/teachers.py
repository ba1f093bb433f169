"""Teachers for a student information system: list, read, create, update, archive, upsert."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Membership, Role
from records import services
from records.api.common import ApiView
from records.serializers import (
    TeacherFilter,
    TeacherIn,
    TeacherOut,
    TeacherUpdateIn,
    TeacherUpsertIn,
)

TEACHER_EXAMPLE = OpenApiExample(
    "A teacher",
    value={
        "id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
        "username": "mhopper",
        "given_name": "Grace",
        "family_name": "Hopper",
        "email": "grace.hopper@school.example",
        "external_id": "sis-t-0042",
        "is_active": True,
        "created_at": "2026-09-01T07:55:00Z",
    },
    response_only=True,
)


def _valid(serializer_class: type, request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TeacherView(ApiView):
    serializer_class = TeacherOut

    def teachers(self) -> QuerySet[Membership]:
        # The SIS id lives in records (TeacherExternalId): one join, not a query per row.
        return account_selectors.teachers_list(organisation=self.organisation).select_related(
            "external_id_link"
        )

    def teacher(self, public_id: str) -> Membership:
        self.filters()
        return account_selectors.teacher_get(organisation=self.organisation, public_id=public_id)


class TeacherList(TeacherView):
    filter_serializer = TeacherFilter

    @extend_schema(
        operation_id="teachers_list",
        summary="List teachers",
        parameters=[TeacherFilter],
        examples=[TEACHER_EXAMPLE],
        tags=["roster"],
    )
    def get(self, request: Request) -> Response:
        filters = self.filters()
        teachers = self.teachers()
        if not filters.get("include_archived"):
            teachers = teachers.filter(user__is_active=True)
        if "external_id" in filters:
            teachers = teachers.filter(external_id_link__external_id=filters["external_id"])
        return self.paginated(teachers.order_by("user__last_name", "id"), TeacherOut)

    @extend_schema(
        operation_id="teachers_create",
        summary="Create a teacher's login",
        request=TeacherIn,
        responses={201: TeacherOut},
        tags=["roster"],
    )
    def post(self, request: Request) -> Response:
        self.filters()
        data = _valid(TeacherIn, request)
        membership: Membership = account_services.member_create(
            organisation=self.organisation,
            role=Role.TEACHER,
            username=data["username"],
            password=data["password"],
            first_name=data["given_name"],
            last_name=data["family_name"],
            email=data.get("email", ""),
        )
        return Response(TeacherOut(membership).data, status=status.HTTP_201_CREATED)


class TeacherDetail(TeacherView):
    @extend_schema(
        operation_id="teachers_retrieve",
        summary="Read a teacher",
        examples=[TEACHER_EXAMPLE],
        tags=["roster"],
    )
    def get(self, request: Request, public_id: str) -> Response:
        return Response(TeacherOut(self.teacher(public_id)).data)

    @extend_schema(
        operation_id="teachers_update",
        summary="Change a teacher's names or email",
        request=TeacherUpdateIn(partial=True),
        tags=["roster"],
    )
    def patch(self, request: Request, public_id: str) -> Response:
        teacher = self.teacher(public_id)
        data = _valid(TeacherUpdateIn, request, partial=True)
        teacher = account_services.teacher_update(
            membership=teacher,
            first_name=data.get("given_name"),
            last_name=data.get("family_name"),
            email=data.get("email"),
        )
        return Response(TeacherOut(teacher).data)


class TeacherArchive(TeacherView):
    @extend_schema(
        operation_id="teachers_archive",
        summary="Archive a teacher",
        description="The login stops working and the teacher leaves every class; the sessions "
        "they ran keep their name.",
        request=None,
        tags=["roster"],
    )
    def post(self, request: Request, public_id: str) -> Response:
        teacher = services.teacher_archive(teacher=self.teacher(public_id))
        return Response(TeacherOut(teacher).data)


class TeacherUpsert(TeacherView):
    @extend_schema(
        operation_id="teachers_upsert",
        summary="Create or update a teacher by the SIS's own id",
        description="201 when the teacher was created, 200 when an existing one was updated "
        "(a teacher of this school with that username and no external id yet is adopted). "
        "A teacher created without a password cannot log in until a school admin sets one.",
        request=TeacherUpsertIn,
        responses={200: TeacherOut, 201: TeacherOut},
        tags=["roster"],
    )
    def put(self, request: Request, external_id: str) -> Response:
        self.filters()
        data = _valid(TeacherUpsertIn, request)
        teacher, created = services.teacher_upsert_by_external_id(
            organisation=self.organisation,
            external_id=external_id,
            username=data["username"],
            first_name=data["given_name"],
            last_name=data["family_name"],
            email=data["email"],
            password=data.get("password"),
        )
        return Response(
            TeacherOut(teacher).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

"""Shapes of the /api/v1 payloads. They check shape only: services decide, selectors read.

Output serializers name objects by their public UUID (`id`, `class_id`, `student_id`, …);
integer primary keys never leave the database.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import StrictSerializer
from accounts.models import Membership, Organisation
from records.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    ClassSession,
    Enrollment,
    SchoolClass,
    SessionStatus,
    Student,
)

# ----------------------------------------------------------------------------- outputs


class StudentOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "given_name",
            "family_name",
            "student_number",
            "external_id",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SchoolClassOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = SchoolClass
        fields = ["id", "name", "external_id", "archived_at", "created_at", "updated_at"]
        read_only_fields = fields


class EnrollmentOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    class_id = serializers.UUIDField(source="school_class.public_id", read_only=True)
    student_id = serializers.UUIDField(source="student.public_id", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["id", "class_id", "student_id", "created_at"]
        read_only_fields = fields


class TeacherOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="user.public_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    given_name = serializers.CharField(source="user.first_name", read_only=True)
    family_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    external_id = serializers.SerializerMethodField(
        help_text="The SIS's id of the teacher; empty when it never gave one."
    )
    is_active = serializers.BooleanField(
        source="user.is_active",
        read_only=True,
        help_text="False once archived: the login no longer works and teaches no class.",
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "given_name",
            "family_name",
            "email",
            "external_id",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_external_id(self, membership: Membership) -> str:
        # A missing link raises RelatedObjectDoesNotExist, an AttributeError.
        link = getattr(membership, "external_id_link", None)
        return link.external_id if link is not None else ""


class ClassSessionOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    class_id = serializers.UUIDField(source="school_class.public_id", read_only=True)
    opened_by_id = serializers.UUIDField(
        source="opened_by.user.public_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ClassSession
        fields = ["id", "class_id", "status", "opened_at", "closed_at", "opened_by_id"]
        read_only_fields = fields


class AttendanceRecordOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    session_id = serializers.UUIDField(source="session.public_id", read_only=True)
    class_id = serializers.UUIDField(source="session.school_class.public_id", read_only=True)
    student_id = serializers.UUIDField(source="student.public_id", read_only=True)

    class Meta:
        model = AttendanceRecord
        fields = [
            "id",
            "session_id",
            "class_id",
            "student_id",
            "status",
            "excuse_reason",
            "source",
            "first_seen_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrganisationOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    edfi_category_overrides = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "slug",
            "timezone",
            "biometrics_enabled",
            "late_after_minutes",
            "correction_window_hours",
            "retention_days",
            "edfi_category_overrides",
        ]
        read_only_fields = fields


class AttendanceEventOut(serializers.Serializer):
    """An Ed-Fi StudentSectionAttendanceEvent, flattened for a SIS to load."""

    id = serializers.UUIDField(help_text="The attendance record's id.")
    student_unique_id = serializers.CharField(help_text="The school's student number.")
    student_external_id = serializers.CharField()
    section_identifier = serializers.CharField(help_text="The class's external id, or its name.")
    session_id = serializers.UUIDField()
    event_date = serializers.DateField(help_text="The session's day in the school's time zone.")
    attendance_event_category_descriptor = serializers.CharField(
        help_text="`uri://ed-fi.org/AttendanceEventCategoryDescriptor#<category>`"
    )
    attendance_event_category = serializers.ChoiceField(
        choices=["In Attendance", "Excused Absence", "Unexcused Absence", "Tardy"]
    )
    attendance_event_reason = serializers.CharField(allow_blank=True)
    arrival_time = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    updated_at = serializers.DateTimeField()


# ----------------------------------------------------------------------------- inputs


class StudentIn(StrictSerializer):
    given_name = serializers.CharField(max_length=80)
    family_name = serializers.CharField(max_length=80)
    student_number = serializers.CharField(max_length=40)
    external_id = serializers.CharField(max_length=128, required=False, allow_blank=True)


class StudentUpsertIn(StrictSerializer):
    """The SIS's view of a student, keyed by its own id in the URL."""

    given_name = serializers.CharField(max_length=80)
    family_name = serializers.CharField(max_length=80)
    student_number = serializers.CharField(max_length=40)


class SchoolClassIn(StrictSerializer):
    name = serializers.CharField(max_length=80)
    external_id = serializers.CharField(max_length=128, required=False, allow_blank=True)


class SchoolClassUpsertIn(StrictSerializer):
    name = serializers.CharField(max_length=80)


class EnrollmentIn(StrictSerializer):
    class_id = serializers.UUIDField()
    student_id = serializers.UUIDField()


class TeacherIn(StrictSerializer):
    username = serializers.CharField(max_length=150)
    given_name = serializers.CharField(max_length=150)
    family_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)
    password = serializers.CharField(
        write_only=True, min_length=8, max_length=128, help_text="Their first password."
    )


class TeacherUpdateIn(StrictSerializer):
    given_name = serializers.CharField(max_length=150)
    family_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(allow_blank=True)


class TeacherUpsertIn(StrictSerializer):
    """The SIS's view of a teacher, keyed by its own id in the URL."""

    username = serializers.CharField(
        max_length=150, help_text="Used when the teacher is created; cannot change afterwards."
    )
    given_name = serializers.CharField(max_length=150)
    family_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    password = serializers.CharField(
        write_only=True,
        required=False,
        min_length=8,
        max_length=128,
        help_text="Only used when the teacher is created; without one, a school admin sets it.",
    )


class SessionOpenIn(StrictSerializer):
    class_id = serializers.UUIDField()


class StatusChangeIn(StrictSerializer):
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed for `excused`, and for any change after the session closed.",
    )


# ----------------------------------------------------------------------------- filters


class RosterFilter(StrictSerializer):
    include_archived = serializers.BooleanField(
        required=False, default=False, help_text="Include archived rows."
    )
    external_id = serializers.CharField(required=False, max_length=128)
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only rows changed at or after this instant (ISO 8601)."
    )


class TeacherFilter(StrictSerializer):
    include_archived = serializers.BooleanField(
        required=False, default=False, help_text="Include archived teachers."
    )
    external_id = serializers.CharField(required=False, max_length=128)


class EnrollmentFilter(StrictSerializer):
    class_id = serializers.UUIDField(required=False)
    student_id = serializers.UUIDField(required=False)


class SessionFilter(StrictSerializer):
    class_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    date_from = serializers.DateField(
        required=False, help_text="First school day (inclusive), in the school's time zone."
    )
    date_to = serializers.DateField(
        required=False, help_text="Last school day (inclusive), in the school's time zone."
    )

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError({"date_to": ["date_to is before date_from."]})
        return attrs


class AttendanceFilter(SessionFilter):
    status = serializers.ChoiceField(choices=AttendanceStatus.choices, required=False)
    student_id = serializers.UUIDField(required=False)
    source = serializers.ChoiceField(choices=AttendanceSource.choices, required=False)
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only records changed at or after this instant (ISO 8601)."
    )

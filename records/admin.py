from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from accounts.admin import OrganisationAdminMixin
from records import services
from records.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceSource,
    Enrollment,
    SchoolClass,
    Student,
    TeacherAssignment,
)


@admin.register(Student)
class StudentAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ("family_name", "given_name", "student_number", "external_id", "archived_at")
    search_fields = ("family_name", "given_name", "student_number", "external_id")
    list_filter = ("archived_at",)
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(SchoolClass)
class SchoolClassAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ("name", "external_id", "archived_at")
    search_fields = ("name", "external_id")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(Enrollment)
class EnrollmentAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ("student", "school_class")
    list_select_related = ("student", "school_class")
    raw_id_fields = ("student", "school_class")


@admin.register(TeacherAssignment)
class TeacherAssignmentAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ("teacher", "school_class")
    list_select_related = ("teacher__user", "school_class")
    raw_id_fields = ("teacher", "school_class")


class AttendanceChangeInline(admin.TabularInline):
    """The record's audit trail, read-only: rows are only ever added by the services."""

    model = AttendanceChange
    fields = ("changed_at", "changed_by", "old_status", "new_status", "reason", "source")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("changed_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AttendanceCorrectionForm(forms.ModelForm):
    """A correction in the admin needs a reason; the service, not the form, saves it."""

    reason = forms.CharField(
        max_length=200,
        help_text="Why the record changes. Kept in the audit trail with your name.",
    )

    class Meta:
        model = AttendanceRecord
        fields = ("status",)


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    form = AttendanceCorrectionForm
    list_display = ("student", "session", "status", "source", "first_seen_at")
    list_select_related = ("student", "session__school_class")
    list_filter = (
        ("session__opened_at", admin.DateFieldListFilter),
        ("session__school_class", admin.RelatedOnlyFieldListFilter),
        "status",
        "source",
    )
    search_fields = ("student__given_name", "student__family_name", "student__student_number")
    fields = (
        "student",
        "session",
        "status",
        "reason",
        "excuse_reason",
        "source",
        "first_seen_at",
        "distance",
        "model_version",
        "marked_by",
        "public_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "student",
        "session",
        "excuse_reason",
        "source",
        "first_seen_at",
        "distance",
        "model_version",
        "marked_by",
        "public_id",
        "created_at",
        "updated_at",
    )
    inlines = (AttendanceChangeInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # records come from sessions

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a deleted record would leave no trace

    def save_model(
        self, request: HttpRequest, obj: AttendanceRecord, form: forms.ModelForm, change: bool
    ) -> None:
        """Never `obj.save()`: the service checks, saves and writes the audit row."""
        services.attendance_set_status(
            record=obj,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
            source=AttendanceSource.ADMIN,
        )
        obj.refresh_from_db()


@admin.register(AttendanceChange)
class AttendanceChangeAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    """View only, for everyone, superusers included: the audit trail cannot be rewritten."""

    list_display = ("changed_at", "record", "old_status", "new_status", "source", "changed_by")
    list_select_related = ("record__student", "record__session__school_class", "changed_by")
    list_filter = ("source", "new_status")
    search_fields = (
        "record__student__given_name",
        "record__student__family_name",
        "record__student__student_number",
        "reason",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

from django.contrib import admin

from accounts.admin import OrganisationAdminMixin
from records.models import Enrollment, SchoolClass, Student, TeacherAssignment


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

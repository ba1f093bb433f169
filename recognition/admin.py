"""Biometric data in the Django admin: visible for audit, never edited there, no images shown.

Consent and photos change only through the school pages, so that erasure and rebuilding always
follow (the services do both)."""

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import OrganisationAdminMixin
from recognition.models import Consent, FaceModel


class ReadOnlyAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("student", "given_by", "given_on", "withdrawn_at")
    list_filter = ("withdrawn_at",)
    search_fields = ("student__family_name", "student__given_name", "student__student_number")
    list_select_related = ("student",)


@admin.register(FaceModel)
class FaceModelAdmin(ReadOnlyAdmin):
    list_display = (
        "version",
        "status",
        "students_count",
        "photos_count",
        "started_at",
        "duration_ms",
    )
    list_filter = ("status",)
    exclude = ("file_name",)

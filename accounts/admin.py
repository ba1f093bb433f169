"""The Django admin, held inside one school for staff; a superuser sees every school, named."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.models import Membership, Organisation, User


def _organisation(request: HttpRequest) -> Organisation | None:
    return getattr(request, "organisation", None)


class OrganisationAdminMixin:
    """For models with an `organisation` key. Staff see and create rows of their own school only."""

    def _is_school_staff(self, request: HttpRequest) -> bool:
        return _organisation(request) is not None

    def has_module_permission(self, request: HttpRequest) -> bool:
        allowed = self._is_school_staff(request) or request.user.is_superuser
        return allowed and super().has_module_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        organisation = _organisation(request)
        if organisation is not None:
            return queryset.filter(organisation=organisation)
        return queryset if request.user.is_superuser else queryset.none()

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        columns = tuple(super().get_list_display(request))
        if request.user.is_superuser and _organisation(request) is None:
            return (*columns, "organisation")
        return columns

    def get_exclude(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        excluded = tuple(super().get_exclude(request, obj) or ())
        if self._is_school_staff(request):
            return (*excluded, "organisation")
        return excluded

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        organisation = _organisation(request)
        if organisation is not None:
            obj.organisation = organisation
        super().save_model(request, obj, form, change)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "biometrics_enabled")
    search_fields = ("name", "slug")
    readonly_fields = ("public_id", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        organisation = _organisation(request)
        queryset = super().get_queryset(request)
        if organisation is not None:
            return queryset.filter(pk=organisation.pk)
        return queryset if request.user.is_superuser else queryset.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(OrganisationAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)


@admin.register(User)
class SchoolUserAdmin(UserAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        organisation = _organisation(request)
        queryset = super().get_queryset(request)
        if organisation is not None:
            return queryset.filter(membership__organisation=organisation)
        return queryset if request.user.is_superuser else queryset.none()

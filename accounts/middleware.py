import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.errors import DomainError
from accounts.scoping import (
    all_organisations_for_superuser,
    membership_for_user,
    organisation_scope,
)


class OrganisationScopeMiddleware:
    """Enter the logged-in user's school for the whole request (the web's scope point).

    A user without a school gets no scope at all, so any tenant query fails closed; the one
    exception is a superuser in the Django admin, who sees every school with its name shown.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = membership_for_user(request.user)
        request.membership = membership
        request.organisation = membership.organisation if membership else None
        if membership is not None:
            # Pages, forms and the admin's date filters speak the school's time, not the server's.
            timezone.activate(zoneinfo.ZoneInfo(membership.organisation.timezone))
            try:
                with organisation_scope(membership.organisation):
                    return self.get_response(request)
            finally:
                timezone.deactivate()
        if request.user.is_superuser and request.path.startswith("/admin/"):
            with all_organisations_for_superuser(request.user):
                return self.get_response(request)
        return self.get_response(request)


class DomainErrorMiddleware:
    """The one place a DomainError that escapes a view becomes a 4xx page with its message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return render(
            request,
            "error.html",
            {"status": exception.status, "message": exception.message},
            status=exception.status,
        )

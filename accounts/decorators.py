"""Who may open a page: a login that belongs to a school, and for some pages its admin."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from accounts.errors import PermissionDenied

NO_SCHOOL = "Your login belongs to no school. Ask your school admin to add you."
ADMINS_ONLY = "Only a school admin can do this."

View = Callable[..., HttpResponse]


def member_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.membership is None:
            raise PermissionDenied(NO_SCHOOL)
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view: View) -> View:
    @member_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.membership.is_admin:
            raise PermissionDenied(ADMINS_ONLY)
        return view(request, *args, **kwargs)

    return wrapped

"""What every API view shares: the scope point, who may call, throttling, and the one error shape.

The API-key authentication is the fourth scope point of the design. DRF authenticates lazily,
inside `APIView.initial()`, after Django's middleware has run, so the scope cannot be entered by a
middleware: `OrganisationAPIMixin.initial()` enters `organisation_scope(request.auth.organisation)`
on a stack that `dispatch()` holds open until the response is finalised, so the handler, the
exception handler and the serializers all run inside the key's school. Browser sessions (admins
only, with CSRF) already run inside the scope the web middleware entered for their login.
"""

import datetime
import math
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView, set_rollback

from accounts.authentication import ApiKeyAuthentication
from accounts.decorators import ADMINS_ONLY, NO_SCHOOL
from accounts.errors import DomainError, PermissionDenied
from accounts.models import ApiKey, Membership, Organisation
from accounts.scoping import organisation_scope
from accounts.services import api_key_record_use

READ_ONLY_KEY = "This API key is read-only; ask a school admin for a read-write key."
CREATOR_GONE = (
    "The admin who created this API key is no longer an admin of the school; "
    "create a new key to open or close sessions."
)
UNKNOWN_FIELD = "Unknown field; see the schema at /api/v1/docs/ for the fields this accepts."
CHECK_FIELDS = "Some fields are not valid; see `fields`."
DEFAULT_THROTTLE_RATE = "1200/minute"

# ----------------------------------------------------------------------------- who may call


class OrganisationApiAccess(BasePermission):
    """Keys: reads always, writes with a read-write key. Browser sessions: school admins."""

    message = ADMINS_ONLY

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, ApiKey):
            if request.method in SAFE_METHODS or request.auth.can_write:
                return True
            self.message = READ_ONLY_KEY
            return False
        if not (request.user and request.user.is_authenticated):
            return False
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            self.message = NO_SCHOOL
            return False
        return membership.is_admin


def sliding_window_hit(
    cache: BaseCache,
    previous_key: str,
    current_key: str,
    *,
    weight: float,
    limit: int,
    timeout: int,
) -> tuple[int, int, bool]:
    """Counts a request in a sliding window kept as two counters, if the window has room.

    The window holds `previous * weight + current` requests, `weight` being how much of the
    previous window it still covers; at `limit` or more the request is refused and not counted.
    A new counter expires after `timeout` seconds. Returns both counts as they were before this
    request, and whether it was counted.

    The project's RedisCache does it all in one Lua script, one round trip, so no other worker
    can take the last slot between the read and the count (attendance_project.cache; found by
    its method, as apps do not import the project package, and through `django.core.cache.cache`,
    a proxy that is no instance of the cache it stands for). Any other cache (LocMemCache, the
    default without REDIS_URL) reads, then counts, and two workers may both take the last slot
    between the two. Both use the cache's own keys and store integers, which `cache.get` reads.
    """
    one_step = getattr(cache, "sliding_window_hit", None)
    if one_step is not None:
        return one_step(previous_key, current_key, weight=weight, limit=limit, timeout=timeout)
    counts = cache.get_many([previous_key, current_key])
    previous, current = counts.get(previous_key, 0), counts.get(current_key, 0)
    if previous * weight + current >= limit:
        return previous, current, False
    if current_key in counts:
        try:
            cache.incr(current_key)
            return previous, current, True
        except ValueError:  # evicted since it was read
            pass
    if not cache.add(current_key, 1, timeout=timeout):
        cache.incr(current_key)  # another worker counted the window's first request first
    return previous, current, True


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One budget per key (or per admin login), in the default cache (Redis when configured, so
    every worker process shares it). The rate is `settings.API_THROTTLE_RATE`.

    A sliding window kept as two counters: this window's requests, plus the previous window's
    weighted by how much of it the sliding window still covers. DRF's SimpleRateThrottle kept
    the time of every request in one list, read and written whole by every request, so its cost
    grew with the traffic (with 9,000 requests in the window, as bench_api makes: 0.3 ms of CPU a
    check in the local cache, 1.1 ms over Redis, against a flat 0.02 and 0.5 ms here), and two
    workers writing the list at once lost each other's requests. A counter is incremented
    atomically, and on Redis the check and the count are one script, one round trip
    (`sliding_window_hit`), so two workers cannot both take the last slot.
    """

    scope = "api_key"

    def get_rate(self) -> str:
        return getattr(settings, "API_THROTTLE_RATE", DEFAULT_THROTTLE_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key-{request.auth.public_id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.public_id}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: APIView) -> bool:
        key = self.get_cache_key(request, view)
        if self.rate is None or key is None:
            return True
        window, self.elapsed = divmod(self.timer(), self.duration)  # seconds into the window
        current_key, previous_key = f"{key}_{int(window)}", f"{key}_{int(window) - 1}"
        # Read, decide and count in one call: one round trip on Redis, where no other worker can
        # take the last slot between the read and the count. Refused requests are not counted,
        # as DRF's throttles do. A counter is kept two windows: while it is current, then while
        # it is the previous one.
        self.previous, self.current, allowed = sliding_window_hit(
            self.cache,
            previous_key,
            current_key,
            weight=1 - self.elapsed / self.duration,  # of the previous window, still covered
            limit=self.num_requests,
            timeout=2 * self.duration,
        )
        return allowed

    def wait(self) -> float:
        """Seconds until the estimate leaves room for one more request."""
        if self.current < self.num_requests and self.previous:
            # In this window, as the previous window's weight fades.
            needed = 1 - (self.num_requests - self.current) / self.previous
            return max(0.0, needed * self.duration - self.elapsed)
        # In the next window, where this one's count is the previous one's and fades in turn.
        needed = max(0.0, 1 - self.num_requests / self.current)
        return self.duration - self.elapsed + needed * self.duration


# ----------------------------------------------------------------------------- errors


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"field" or "field.0.sub": [messages]}."""
    if isinstance(detail, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not path else str(key)
            out.update(_flatten(value, f"{path}.{name}" if path else name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, Mapping | list) for item in detail):
            return {path or "non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{path}.{index}" if path else str(index)))
        return out
    return {path or "non_field_errors": [str(detail)]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The one place an API error becomes `{"error": {"code", "message", "fields"}}`.

    DomainError keeps its status and code; anything that is neither a DomainError nor a DRF
    APIException is left to Django as a 500: it is a bug.
    """
    if isinstance(exc, DomainError):
        set_rollback()
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body(exc.code, exc.message, fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        only = next(iter(fields.values()))[0] if len(fields) == 1 else None
        message = only if only and "non_field_errors" in fields else CHECK_FIELDS
        body = error_body("invalid", message, fields)
    else:
        detail = exc.detail
        message = str(detail if not isinstance(detail, list | dict) else exc.default_detail)
        code = exc.get_codes()
        body = error_body(code if isinstance(code, str) else exc.default_code, message)
    return Response(body, status=exc.status_code, headers=headers)


# ----------------------------------------------------------------------------- the views' base


class OrganisationAPIMixin:
    """Base of every /api/v1 view: authentication, access, throttle, scope, errors, UTC times."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [OrganisationApiAccess]
    throttle_classes = [ApiKeyRateThrottle]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Times leave the API in UTC whoever calls; dates in filters are the school's days.
        with ExitStack() as stack, timezone.override(datetime.UTC):
            self._scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticate, check access, throttle
        if isinstance(request.auth, ApiKey):
            self._scope_stack.enter_context(organisation_scope(request.auth.organisation))
            api_key_record_use(api_key=request.auth)

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    @property
    def organisation(self) -> Organisation:
        if isinstance(self.request.auth, ApiKey):
            return self.request.auth.organisation
        return self.request.membership.organisation

    def acting_membership(self) -> Membership:
        """Who a session is opened or closed by: the admin logged in, or the key's creator."""
        if not isinstance(self.request.auth, ApiKey):
            return self.request.membership
        creator = self.request.auth.created_by
        membership = getattr(creator, "membership", None) if creator else None
        if (
            membership is None
            or membership.organisation_id != self.organisation.pk
            or not membership.is_admin
        ):
            raise PermissionDenied(CREATOR_GONE)
        return membership


# ----------------------------------------------------------------------------- serializers


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is a 400 and never silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {n for n, f in self.fields.items() if not f.read_only})
            if unknown:
                raise exceptions.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: `invalid`, `not_found`, …")
    message = serializers.CharField(help_text="What went wrong, for a person to act on.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field name (dotted for nested fields); empty when none.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# ----------------------------------------------------------------------------- OpenAPI


ERROR_DESCRIPTIONS = {
    400: "Invalid input: unknown field, wrong type, bad filter, or an id this school does not own.",
    401: "No API key, an unknown key, or a revoked key.",
    403: "A read-only key tried to write, or a login that is not a school admin.",
    404: "No such object in this school (the same answer for another school's objects).",
    409: "The change conflicts with the current state (e.g. a duplicate).",
    429: "Too many requests for this key: wait the seconds in `Retry-After`.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the error responses every operation can return."""

    def _error_statuses(self) -> list[int]:
        statuses = [401, 403, 429]
        method = self.method.upper()
        if method != "GET" or self._is_list_view():
            statuses.append(400)
        if "{" in self.path:
            statuses.append(404)
        if method in {"POST", "PUT", "PATCH"}:
            statuses.append(409)
        return sorted(statuses)

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for status_code in self._error_statuses():
            if str(status_code) in responses:
                continue
            body = self._get_response_for_code(ErrorSerializer, str(status_code))
            body["description"] = ERROR_DESCRIPTIONS[status_code]
            if status_code == 429:
                body["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before the next request.",
                    }
                }
            responses[str(status_code)] = body
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sk_live_<8 characters>_<secret>",
            "description": (
                "An organisation API key, created by a school admin under *API keys*: "
                "`Authorization: Bearer sk_live_ab12cd34_…`. Read keys may only GET; "
                "read-write keys may also create, update, archive and change statuses. "
                "A revoked key gets 401."
            ),
        }

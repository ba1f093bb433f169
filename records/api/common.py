"""Plumbing shared by the /api/v1 views: the base view, strict query parsing, pagination."""

import base64
import binascii
import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import UNKNOWN_FIELD, ApiAutoSchema, ErrorSerializer, OrganisationAPIMixin
from accounts.errors import NotFound
from records.attendance_list import keyset_after

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DEFAULT_CURSOR_PAGE_SIZE = 100
MAX_CURSOR_PAGE_SIZE = 500
BAD_CURSOR = "This cursor is not valid; start again without one."
BAD_PAGE = "That page does not exist; pages start at 1."


def page_size_from(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        raise exceptions.ValidationError(
            {"page_size": [f"Give a whole number from 1 to {maximum}."]}
        )
    return size


class ApiPageNumberPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    query_params: ClassVar[set[str]] = {"page", "page_size"}

    def get_page_size(self, request: Request) -> int:
        return page_size_from(request, self.page_size, self.max_page_size)

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({"page": [BAD_PAGE]}) from error


class KeysetCursorPagination(BasePagination):
    """Forward cursor over (updated_at, public_id): stable under concurrent writes.

    A row inserted or changed while a client pages gets a later `updated_at`, so it shows up on a
    later page, never shifts the current one; a client that keeps the last `next` link and
    polls it later sees exactly what changed since (a change is seen again after an update).
    """

    page_size = DEFAULT_CURSOR_PAGE_SIZE
    max_page_size = MAX_CURSOR_PAGE_SIZE
    query_params: ClassVar[set[str]] = {"cursor", "page_size"}

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list:
        size, after = self.start(request)
        if after is not None:
            queryset = keyset_after(queryset, *after)
        return self.finish(list(queryset.order_by("updated_at", "public_id")[: size + 1]), size)

    def start(self, request: Request) -> tuple[int, tuple[datetime, uuid.UUID] | None]:
        """The page's size and the position it continues from, if any; one more row than the
        size is to be read, to know whether a next page exists."""
        self.request = request
        self.cursor_in = request.query_params.get("cursor")
        size = page_size_from(request, self.page_size, self.max_page_size)
        return size, self.decode(self.cursor_in) if self.cursor_in else None

    def finish(self, rows: list, size: int) -> list:
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.last = rows[-1] if rows else None
        return rows

    def position(self, row: Any) -> tuple[datetime | str, uuid.UUID | str]:
        """Where a row stands in the order: a model instance's own fields."""
        return row.updated_at, row.public_id

    def encode(self, row: Any) -> str:
        updated_at, public_id = self.position(row)
        if isinstance(updated_at, datetime):
            updated_at = updated_at.isoformat()
        position = {"t": updated_at, "id": str(public_id)}
        return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    @staticmethod
    def decode(raw: str) -> tuple[datetime, uuid.UUID]:
        try:
            position = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            updated_at = parse_datetime(position["t"])
            public_id = uuid.UUID(position["id"])
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise exceptions.ValidationError({"cursor": [BAD_CURSOR]}) from error
        if updated_at is None or updated_at.tzinfo is None:
            raise exceptions.ValidationError({"cursor": [BAD_CURSOR]})
        return updated_at, public_id

    def next_cursor(self) -> str | None:
        """Where to continue: the next page, or (at the end) where new changes will appear."""
        if self.last is not None:
            return self.encode(self.last)
        return self.cursor_in or None

    def get_paginated_response(self, data: Sequence[Any]) -> Response:
        cursor = self.next_cursor()
        params = {k: v for k, v in self.request.query_params.items() if k != "cursor"}
        url = self.request.build_absolute_uri(self.request.path)
        next_url = f"{url}?{urlencode({**params, 'cursor': cursor})}" if cursor else None
        return Response(
            {
                "next": next_url if self.has_next else None,
                "poll": next_url,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "poll", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page; null on the last page.",
                    "example": "https://attendance.example.org/api/v1/attendance/?cursor=eyJ0Ijo",
                },
                "poll": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "Keep this link and call it later to get what changed since.",
                    "example": "https://attendance.example.org/api/v1/attendance/?cursor=eyJ0Ijo",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Opaque position from a `next` or `poll` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1 to {MAX_CURSOR_PAGE_SIZE} "
                f"(default {DEFAULT_CURSOR_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CURSOR_PAGE_SIZE},
            },
        ]


# A serializer's fields are deep copies made per instance; per request they were a visible share
# of a list's time (profiled), and they never change.
@functools.cache
def filter_names(filter_serializer: type[serializers.Serializer]) -> frozenset[str]:
    return frozenset(filter_serializer().fields)


@functools.cache
def unfiltered(filter_serializer: type[serializers.Serializer]) -> Mapping[str, Any]:
    """What a filter serializer makes of no filters at all (its defaults), worked out once."""
    serializer = filter_serializer(data={})
    serializer.is_valid(raise_exception=True)
    return MappingProxyType(dict(serializer.validated_data))


class ApiViewSchema(ApiAutoSchema):
    """Plain APIViews give drf-spectacular no sign of which GETs return lists, so it described
    every list as one object (schemathesis found it). Here: a GET without a path parameter on a
    paginated view is a list, wrapped in its paginator's envelope; error bodies never are."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        if serializer is ErrorSerializer or isinstance(serializer, ErrorSerializer):
            return False
        if self.method == "GET" and "{" not in self.path:
            return bool(self.view.pagination_class)
        return super()._is_list_view(serializer)


class ApiView(OrganisationAPIMixin, GenericAPIView):
    """Every /api/v1 view. Querysets start from `self.organisation`, never from a model."""

    schema = ApiViewSchema()
    pagination_class = ApiPageNumberPagination
    # OPTIONS would describe the view through get_object()/querysets these views do not have
    # (a 500, found by schemathesis); the schema at /api/v1/schema/ is the description.
    metadata_class = None
    filter_serializer: type[serializers.Serializer] | None = None

    def filters(self) -> dict[str, Any]:
        """The query string, checked strictly: an unknown or malformed filter is a 400."""
        allowed = filter_names(self.filter_serializer) if self.filter_serializer else frozenset()
        paging = getattr(self.pagination_class, "query_params", set())
        unknown = sorted(set(self.request.query_params) - allowed - paging)
        if unknown:
            raise exceptions.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        if self.filter_serializer is None:
            return {}
        data = {k: v for k, v in self.request.query_params.items() if k in allowed}
        if not data:  # most calls (a SIS following `next`): no serializer to build
            return dict(unfiltered(self.filter_serializer))
        serializer = self.filter_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset: QuerySet, serializer_class: type) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def get_or_404(queryset: QuerySet, message: str, **lookup: Any) -> Any:
    """The one 404 of the API: the same for another school's object and for no object."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, exceptions.ValidationError) as error:
        raise NotFound(message) from error


def get_or_400(queryset: QuerySet, field: str, message: str, **lookup: Any) -> Any:
    """An id in a payload: unknown and another school's give the same 400, never a link."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError) as error:
        raise exceptions.ValidationError({field: [message]}) from error

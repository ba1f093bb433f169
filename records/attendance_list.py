"""The attendance records a student information system reads: its filters, and the list's pages.

A SIS polls the list every few minutes, so its page is the API's hottest read. The page's query
is compiled once for each shape (which filters, whether it continues from a cursor, how many rows)
and run with each call's values (accounts/compiled_query.py says why and how tenancy holds); the
Ed-Fi export shares the filters through the ORM.
"""

import functools
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    CharField,
    DateTimeField,
    Field,
    Func,
    Q,
    QuerySet,
    TextField,
    UUIDField,
)
from django.db.models.sql.compiler import SQLCompiler

from accounts.compiled_query import CompiledQuery, compile_query, slots
from accounts.models import Organisation
from records.models import AttendanceRecord
from records.selectors import day_bounds

# Each condition a filter turns into, and the lookup it is, from a session or from a record.
SESSION_LOOKUPS = {
    "class_id": "school_class__public_id",
    "opened_from": "opened_at__gte",
    "opened_before": "opened_at__lt",
}
RECORD_LOOKUPS = {
    **{name: f"session__{lookup}" for name, lookup in SESSION_LOOKUPS.items()},
    "student_id": "student__public_id",
    "status": "status",
    "source": "source",
    "updated_since": "updated_at__gte",
}
# How each condition's value is sent to the database, in a compiled query.
CONDITION_FIELDS: dict[str, Field] = {
    "class_id": UUIDField(),
    "opened_from": DateTimeField(),
    "opened_before": DateTimeField(),
    "student_id": UUIDField(),
    "status": CharField(),
    "source": CharField(),
    "updated_since": DateTimeField(),
    "after_updated_at": DateTimeField(),
    "after_id": UUIDField(),
}


def session_conditions(organisation: Organisation, filters: dict[str, Any]) -> dict[str, Any]:
    """A list's query filters as the values its WHERE compares with: a school day becomes the
    instants it starts and ends in the school's time zone."""
    conditions = {}
    if "class_id" in filters:
        conditions["class_id"] = filters["class_id"]
    if "date_from" in filters:
        conditions["opened_from"], _ = day_bounds(
            organisation=organisation, day=filters["date_from"]
        )
    if "date_to" in filters:
        _, conditions["opened_before"] = day_bounds(
            organisation=organisation, day=filters["date_to"]
        )
    return conditions


def record_conditions(organisation: Organisation, filters: dict[str, Any]) -> dict[str, Any]:
    conditions = session_conditions(organisation, filters)
    for name in ("student_id", "status", "source", "updated_since"):
        if name in filters:
            conditions[name] = filters[name]
    return conditions


def filtered(queryset: QuerySet, conditions: dict[str, Any], lookups: dict[str, str]) -> QuerySet:
    """The queryset with each condition applied; a value may be a compiled query's Slot."""
    return queryset.filter(**{lookups[name]: value for name, value in conditions.items()})


def keyset_after(queryset: QuerySet, updated_at: Any, public_id: Any) -> QuerySet:
    """The rows after a position in the lists' order (last change, then id)."""
    return queryset.filter(
        Q(updated_at__gt=updated_at) | Q(updated_at=updated_at, public_id__gt=public_id)
    )


class ApiText(Func):
    """A UUID or timestamp column as the text the API writes (DRF's), made by the database.

    Profiled, turning 400 UUIDs and 300 timestamps a page into Python objects only to print them
    again cost more than the query; as text they also need no converting on the way out, which a
    compiled query requires. A test holds every column to what AttendanceRecordOut writes.
    """

    arity = 1
    output_field = TextField()

    def source_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any], bool]:
        sql, params = compiler.compile(self.source_expressions[0])
        return sql, list(params), isinstance(self.source_expressions[0].output_field, UUIDField)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params, is_uuid = self.source_sql(compiler, connection)
        if is_uuid:
            return f"({sql})::text", params
        # ISO 8601 in UTC ending in Z, with microseconds only if not zero.
        return (
            f"replace(to_char(({sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
            "'.000000Z', 'Z')",
            params,
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params, is_uuid = self.source_sql(compiler, connection)
        if is_uuid:  # stored as 32 hex digits
            parts = "||'-'||".join(
                f"substr({sql}, {start}, {length})"
                for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
            )
            return f"({parts})", params * 5
        # Stored as UTC text from str(datetime): microseconds only if not zero, as DRF writes.
        return f"(replace({sql}, ' ', 'T') || 'Z')", params

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> Any:
        raise NotImplementedError(f"ApiText is written for PostgreSQL and SQLite, not {connection}")


# AttendanceRecordOut's fields in its order, each as the value or text the API writes. (An
# annotation may not take a model field's name, such as `id`: hence the `out_` names.)
RECORD_OUT = {
    "id": ApiText("public_id"),
    "session_id": ApiText("session__public_id"),
    "class_id": ApiText("session__school_class__public_id"),
    "student_id": ApiText("student__public_id"),
    "status": "status",
    "excuse_reason": "excuse_reason",
    "source": "source",
    "first_seen_at": ApiText("first_seen_at"),
    "created_at": ApiText("created_at"),
    "updated_at": ApiText("updated_at"),
}


@functools.lru_cache(maxsize=256)
def attendance_page_query(names: frozenset[str], continued: bool, limit: int) -> CompiledQuery:
    """The page's query for one shape: these conditions, after a position or from the start."""

    def build() -> QuerySet:
        conditions = slots(CONDITION_FIELDS, sorted(names))
        records = filtered(AttendanceRecord.objects.all(), conditions, RECORD_LOOKUPS)
        if continued:
            after = slots(CONDITION_FIELDS, ["after_updated_at", "after_id"])
            records = keyset_after(records, after["after_updated_at"], after["after_id"])
        columns = {
            f"out_{name}": value for name, value in RECORD_OUT.items() if isinstance(value, Func)
        }
        return (
            records.annotate(**columns)
            .values_list(*(f"out_{n}" if f"out_{n}" in columns else n for n in RECORD_OUT))
            .order_by("updated_at", "public_id")[:limit]
        )

    return compile_query(build)


def attendance_page(
    conditions: dict[str, Any], *, after: tuple[datetime, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` records of the active scope's school in the list's order, each as
    AttendanceRecordOut writes it."""
    query = attendance_page_query(frozenset(conditions), after is not None, limit)
    values = dict(conditions)
    if after is not None:
        values["after_updated_at"], values["after_id"] = after
    return [dict(zip(RECORD_OUT, row, strict=True)) for row in query.rows(**values)]


def records_filtered(organisation: Organisation, filters: dict[str, Any]) -> QuerySet:
    """The school's records matching a list's query filters, through the ORM (the exports)."""
    return filtered(
        organisation.attendance_records.select_related("session__school_class", "student"),
        record_conditions(organisation, filters),
        RECORD_LOOKUPS,
    )

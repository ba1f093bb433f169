"""Report reads: a class register, a student's history and the school summary.

Pure read functions over one school and a date range (school days, in the school's time zone).
Counts are aggregated in the database (`Count(filter=...)` over `values()`), so the number of
queries does not grow with the number of students, sessions or days; the CSV rows are streamed
from the database in chunks.

The attendance rate is attended / recorded: present and late count as attended; absent and
excused count as recorded but not attended. Sessions where a student has no record (a session
still open, a student who joined later) do not count at all.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate

from accounts.errors import DomainError
from accounts.models import Organisation
from records.models import (
    AttendanceRecord,
    AttendanceStatus,
    ClassSession,
    Enrollment,
    SchoolClass,
    Student,
)
from records.selectors import day_bounds

MAX_RANGE_DAYS = 366
RANGE_BACKWARDS = "The start date must be on or before the end date."
RANGE_TOO_LONG = f"Choose at most {MAX_RANGE_DAYS} days; for more, export one year at a time."
CHUNK = 2000

STATUSES = tuple(AttendanceStatus.values)  # present, late, absent, excused


def _counts() -> dict[str, Count]:
    """One COUNT per status over the rows being grouped (records themselves)."""
    return {status: Count("pk", filter=Q(status=status)) for status in STATUSES}


@dataclass(frozen=True)
class Totals:
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def recorded(self) -> int:
        return self.present + self.late + self.absent + self.excused

    @property
    def rate(self) -> float | None:
        """Attended / recorded, 0..1; None when nothing was recorded."""
        return self.attended / self.recorded if self.recorded else None

    @property
    def rate_percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(*(getattr(self, s) + getattr(other, s) for s in STATUSES))

    @classmethod
    def of(cls, row: object) -> "Totals":
        """From a dict of counts or an object annotated with them."""
        get = row.get if isinstance(row, dict) else lambda s: getattr(row, s)
        return cls(*(get(s) or 0 for s in STATUSES))


def _rate(totals: Totals) -> float | None:
    return None if totals.rate is None else round(totals.rate * 100, 1)


@dataclass(frozen=True)
class DateRange:
    """School days from `start` to `end` inclusive, in the school's time zone."""

    organisation: Organisation
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise DomainError(RANGE_BACKWARDS, field="end")
        if (self.end - self.start).days + 1 > MAX_RANGE_DAYS:
            raise DomainError(RANGE_TOO_LONG, field="start")

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        first, _ = day_bounds(organisation=self.organisation, day=self.start)
        _, last = day_bounds(organisation=self.organisation, day=self.end)
        return first, last

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.organisation.timezone)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def _records_in(
    period: DateRange, school_classes: QuerySet[SchoolClass] | None
) -> QuerySet[AttendanceRecord]:
    """The school's records of sessions opened in the range, limited to the viewer's classes."""
    start, end = period.bounds
    records = period.organisation.attendance_records.filter(
        session__opened_at__gte=start, session__opened_at__lt=end
    )
    if school_classes is not None:
        records = records.filter(session__school_class__in=school_classes.values("pk"))
    return records


# ----------------------------------------------------------------------------- class register


@dataclass(frozen=True)
class RegisterRow:
    student: Student
    cells: list[str]  # a status per session, "" where no record
    totals: Totals


@dataclass(frozen=True)
class ClassRegister:
    school_class: SchoolClass
    period: DateRange
    sessions: list[ClassSession]
    rows: list[RegisterRow]
    totals: Totals
    # Per session, in order: the rate of that session (for the chart), None if nothing recorded.
    session_rates: list[float | None] = field(default_factory=list)


def _register_sessions(school_class: SchoolClass, period: DateRange) -> QuerySet[ClassSession]:
    start, end = period.bounds
    return school_class.organisation.class_sessions.filter(
        school_class=school_class, opened_at__gte=start, opened_at__lt=end
    ).order_by("opened_at", "pk")


def _register_students(school_class: SchoolClass, period: DateRange) -> QuerySet[Student]:
    """Everyone enrolled now, plus anyone with a record in the range who has since left;
    each with their totals over the range, counted by the database."""
    organisation = school_class.organisation
    start, end = period.bounds
    in_range = Q(
        attendance_records__session__school_class=school_class,
        attendance_records__session__opened_at__gte=start,
        attendance_records__session__opened_at__lt=end,
    )
    enrolled = Enrollment.objects.filter(
        organisation=organisation, school_class=school_class
    ).values("student_id")
    recorded = (
        organisation.attendance_records.filter(
            session__school_class=school_class,
            session__opened_at__gte=start,
            session__opened_at__lt=end,
        )
        .values("student_id")
        .distinct()
    )
    return (
        organisation.students.filter(
            Q(pk__in=enrolled, archived_at__isnull=True) | Q(pk__in=recorded)
        )
        .annotate(
            **{
                status: Count(
                    "attendance_records",
                    filter=in_range & Q(attendance_records__status=status),
                )
                for status in STATUSES
            }
        )
        .order_by("family_name", "given_name", "student_number", "pk")
    )


def class_register(
    *, organisation: Organisation, school_class: SchoolClass, start: date, end: date
) -> ClassRegister:
    """Students by sessions of one class over a range. Three queries, whatever the size."""
    if school_class.organisation_id != organisation.pk:
        raise DomainError("That class belongs to another school.", code="cross_organisation")
    period = DateRange(organisation, start, end)
    sessions = list(_register_sessions(school_class, period))
    students = list(_register_students(school_class, period))
    column = {session.pk: index for index, session in enumerate(sessions)}
    cells: dict[int, list[str]] = {s.pk: [""] * len(sessions) for s in students}
    per_session = [dict.fromkeys(STATUSES, 0) for _ in sessions]
    records = (
        organisation.attendance_records.filter(session__in=[s.pk for s in sessions])
        .values_list("session_id", "student_id", "status")
        .iterator(chunk_size=CHUNK)
        if sessions
        else []
    )
    for session_id, student_id, status in records:
        index = column[session_id]
        per_session[index][status] += 1
        if student_id in cells:
            cells[student_id][index] = status
    rows = [RegisterRow(s, cells[s.pk], Totals.of(s)) for s in students]
    return ClassRegister(
        school_class=school_class,
        period=period,
        sessions=sessions,
        rows=rows,
        totals=sum((row.totals for row in rows), Totals()),
        session_rates=[_rate(Totals.of(counts)) for counts in per_session],
    )


def class_register_csv_rows(
    *, organisation: Organisation, school_class: SchoolClass, start: date, end: date
) -> Iterator[list[str]]:
    """The register as CSV rows: a header of session times, then one row per student with
    their totals. The range is checked now, before a response starts streaming."""
    if school_class.organisation_id != organisation.pk:
        raise DomainError("That class belongs to another school.", code="cross_organisation")
    # Every queryset is built here, inside the request's scope: the response streams after the
    # view (and its scope) has returned, and a scoped manager refuses to start a query then.
    period = DateRange(organisation, start, end)
    return _class_register_csv(
        period,
        sessions=_register_sessions(school_class, period),
        students=_register_students(school_class, period),
        records=organisation.attendance_records.all(),
    )


def _class_register_csv(
    period: DateRange,
    *,
    sessions: QuerySet[ClassSession],
    students: QuerySet[Student],
    records: QuerySet[AttendanceRecord],
) -> Iterator[list[str]]:
    zone = period.zone
    session_times = list(sessions.values_list("pk", "opened_at"))
    column = {pk: index for index, (pk, _) in enumerate(session_times)}
    yield [
        "Student number",
        "Family name",
        "Given name",
        *(opened.astimezone(zone).strftime("%Y-%m-%d %H:%M") for _, opened in session_times),
        *STATUSES,
        "Rate %",
    ]
    for chunk in _chunks(students.iterator(chunk_size=CHUNK), CHUNK):
        # One query per chunk of students for their cells: memory holds one chunk, not the
        # register, and the number of queries grows with students / CHUNK, not per row.
        cells = {student.pk: [""] * len(column) for student in chunk}
        chunk_records = (
            records.filter(session__in=list(column), student__in=list(cells))
            .values_list("student_id", "session_id", "status")
            .iterator(chunk_size=CHUNK)
            if column
            else []
        )
        for student_id, session_id, status in chunk_records:
            cells[student_id][column[session_id]] = status
        for student in chunk:
            totals = Totals.of(student)
            rate = _rate(totals)
            yield [
                student.student_number,
                student.family_name,
                student.given_name,
                *cells[student.pk],
                *(str(getattr(totals, s)) for s in STATUSES),
                "" if rate is None else f"{rate:.1f}",
            ]


def _chunks(items: Iterator[Student], size: int) -> Iterator[list[Student]]:
    chunk: list[Student] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ----------------------------------------------------------------------------- student history


@dataclass(frozen=True)
class StudentHistory:
    student: Student
    period: DateRange
    totals: Totals
    by_class: list[tuple[str, Totals]]
    by_day: list[tuple[date, Totals]]


def student_totals(
    *,
    organisation: Organisation,
    student: Student,
    school_classes: QuerySet[SchoolClass] | None = None,
) -> Totals:
    """All-time totals of one student (one query); a teacher passes the classes they teach."""
    records = organisation.attendance_records.filter(student=student)
    if school_classes is not None:
        records = records.filter(session__school_class__in=school_classes.values("pk"))
    return Totals.of(records.aggregate(**_counts()))


def students_with_totals(
    students: QuerySet[Student], *, school_classes: QuerySet[SchoolClass] | None = None
) -> QuerySet[Student]:
    """The students, each annotated with their all-time count per status (`Totals.of(s)`),
    counted in the same query as the students themselves."""
    records = AttendanceRecord.objects.filter(student=OuterRef("pk"))
    if school_classes is not None:
        records = records.filter(session__school_class__in=school_classes.values("pk"))

    def count(status: str) -> Coalesce:
        counted = (
            records.filter(status=status)
            .order_by()
            .values("student")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return students.annotate(**{status: count(status) for status in STATUSES})


def student_history(
    *,
    organisation: Organisation,
    student: Student,
    start: date,
    end: date,
    school_classes: QuerySet[SchoolClass] | None = None,
) -> StudentHistory:
    """A student's totals over a range, by class and by day. Two queries."""
    if student.organisation_id != organisation.pk:
        raise DomainError("That student belongs to another school.", code="cross_organisation")
    period = DateRange(organisation, start, end)
    records = _records_in(period, school_classes).filter(student=student)
    by_class = [
        (row["session__school_class__name"], Totals.of(row))
        for row in records.values("session__school_class__name")
        .annotate(**_counts())
        .order_by("session__school_class__name")
    ]
    by_day = [
        (row["day"], Totals.of(row))
        for row in records.annotate(day=TruncDate("session__opened_at", tzinfo=period.zone))
        .values("day")
        .annotate(**_counts())
        .order_by("day")
    ]
    return StudentHistory(
        student=student,
        period=period,
        totals=sum((t for _, t in by_class), Totals()),
        by_class=by_class,
        by_day=by_day,
    )


RECORD_HEADER = [
    "Date",
    "Time",
    "Class",
    "Student number",
    "Family name",
    "Given name",
    "Status",
    "Excuse reason",
    "Source",
    "First seen",
]


def _record_rows(records: QuerySet[AttendanceRecord], zone: ZoneInfo) -> Iterator[list[str]]:
    yield RECORD_HEADER
    rows = (
        records.order_by("session__opened_at", "session_id", "student__family_name", "pk")
        .values_list(
            "session__opened_at",
            "session__school_class__name",
            "student__student_number",
            "student__family_name",
            "student__given_name",
            "status",
            "excuse_reason",
            "source",
            "first_seen_at",
        )
        .iterator(chunk_size=CHUNK)
    )
    for opened, class_name, number, family, given, status, reason, source, seen in rows:
        opened = opened.astimezone(zone)
        yield [
            opened.strftime("%Y-%m-%d"),
            opened.strftime("%H:%M"),
            class_name,
            number,
            family,
            given,
            status,
            reason,
            source,
            seen.astimezone(zone).strftime("%H:%M:%S") if seen else "",
        ]


def student_history_csv_rows(
    *,
    organisation: Organisation,
    student: Student,
    start: date,
    end: date,
    school_classes: QuerySet[SchoolClass] | None = None,
) -> Iterator[list[str]]:
    if student.organisation_id != organisation.pk:
        raise DomainError("That student belongs to another school.", code="cross_organisation")
    period = DateRange(organisation, start, end)
    return _record_rows(_records_in(period, school_classes).filter(student=student), period.zone)


def records_csv_rows(
    *,
    organisation: Organisation,
    start: date,
    end: date,
    school_classes: QuerySet[SchoolClass] | None = None,
) -> Iterator[list[str]]:
    """Every record of the range, one line each: the export a year of a large school uses."""
    period = DateRange(organisation, start, end)
    return _record_rows(_records_in(period, school_classes), period.zone)


# ----------------------------------------------------------------------------- school summary


@dataclass(frozen=True)
class SchoolSummary:
    period: DateRange
    totals: Totals
    by_day: list[tuple[date, Totals]]
    by_class: list[tuple[SchoolClass, Totals]]


def school_summary(
    *,
    organisation: Organisation,
    start: date,
    end: date,
    school_classes: QuerySet[SchoolClass] | None = None,
) -> SchoolSummary:
    """The school's totals by day and by class over a range. Two queries, whatever the size."""
    period = DateRange(organisation, start, end)
    records = _records_in(period, school_classes)
    by_day = [
        (row["day"], Totals.of(row))
        for row in records.annotate(day=TruncDate("session__opened_at", tzinfo=period.zone))
        .values("day")
        .annotate(**_counts())
        .order_by("day")
    ]
    start_at, end_at = period.bounds
    classes = organisation.school_classes.all()
    if school_classes is not None:
        classes = classes.filter(pk__in=school_classes.values("pk"))
    in_range = Q(sessions__opened_at__gte=start_at, sessions__opened_at__lt=end_at)
    by_class = [
        (school_class, Totals.of(school_class))
        for school_class in classes.annotate(
            **{
                status: Count(
                    "sessions__records", filter=in_range & Q(sessions__records__status=status)
                )
                for status in STATUSES
            }
        )
        .filter(Q(archived_at__isnull=True) | Q(pk__in=records.values("session__school_class_id")))
        .order_by("name")
    ]
    return SchoolSummary(
        period=period,
        totals=sum((t for _, t in by_day), Totals()),
        by_day=by_day,
        by_class=by_class,
    )


def school_summary_csv_rows(
    *,
    organisation: Organisation,
    start: date,
    end: date,
    school_classes: QuerySet[SchoolClass] | None = None,
) -> Iterator[list[str]]:
    """One line per school day and class with its counts, aggregated by the database."""
    period = DateRange(organisation, start, end)
    return _school_summary_csv(period, _records_in(period, school_classes))


def _school_summary_csv(
    period: DateRange, records: QuerySet[AttendanceRecord]
) -> Iterator[list[str]]:
    yield ["Date", "Class", *STATUSES, "Rate %"]
    rows = (
        records.annotate(day=TruncDate("session__opened_at", tzinfo=period.zone))
        .values("day", "session__school_class__name")
        .annotate(**_counts())
        .order_by("day", "session__school_class__name")
        .iterator(chunk_size=CHUNK)
    )
    for row in rows:
        totals = Totals.of(row)
        rate = _rate(totals)
        yield [
            row["day"].isoformat(),
            row["session__school_class__name"],
            *(str(getattr(totals, s)) for s in STATUSES),
            "" if rate is None else f"{rate:.1f}",
        ]


# ----------------------------------------------------------------------------- charts


def rate_chart(*, title: str, points: list[tuple[str, float | None]], kind: str) -> dict:
    """What static/js/report_charts.js draws: a line over time or bars by class, in percent."""
    return {
        "type": kind,
        "title": title,
        "labels": [label for label, _ in points],
        "values": [value for _, value in points],
    }


def rate_points(rows: list[tuple[object, Totals]]) -> list[tuple[str, float | None]]:
    return [(_label(key), _rate(totals)) for key, totals in rows]


def _label(key: object) -> str:
    if isinstance(key, date):
        return key.isoformat()
    return str(key)

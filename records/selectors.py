"""Every read of classes and students, for one school and one viewer.

Selectors say the school out loud even though the scope would filter anyway: the scope is the
safety net, not the filter. A `*_get` raises the same NotFound whether the object is another
school's, not the viewer's, or does not exist.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Membership, Organisation
from records.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    ClassSession,
    Enrollment,
    SchoolClass,
    SessionStatus,
    Student,
)

CLASS_NOT_FOUND = "No such class."
STUDENT_NOT_FOUND = "No such student."
SESSION_NOT_FOUND = "No such session."


def school_classes_for(
    *, membership: Membership, include_archived: bool = False
) -> QuerySet[SchoolClass]:
    """An admin sees every class of the school; a teacher sees the classes they teach."""
    classes = membership.organisation.school_classes.all()
    if not membership.is_admin:
        classes = classes.filter(teacher_assignments__teacher=membership)
    if not include_archived:
        classes = classes.filter(archived_at__isnull=True)
    return classes.annotate(
        student_count=Count("enrollments", distinct=True),
        teacher_count=Count("teacher_assignments", distinct=True),
    ).order_by("archived_at", "name")


def school_class_get(*, membership: Membership, public_id: UUID | str) -> SchoolClass:
    try:
        return school_classes_for(membership=membership, include_archived=True).get(
            public_id=public_id
        )
    except SchoolClass.DoesNotExist as error:
        raise NotFound(CLASS_NOT_FOUND) from error


def students_for(
    *, membership: Membership, search: str = "", include_archived: bool = False
) -> QuerySet[Student]:
    """An admin sees every student; a teacher sees the students of the classes they teach."""
    students = membership.organisation.students.all()
    if not membership.is_admin:
        students = students.filter(
            enrollments__school_class__teacher_assignments__teacher=membership
        ).distinct()
    if not include_archived:
        students = students.filter(archived_at__isnull=True)
    if search:
        students = students.filter(
            Q(given_name__icontains=search)
            | Q(family_name__icontains=search)
            | Q(student_number__icontains=search)
        )
    return students.order_by("archived_at", "family_name", "given_name")


def student_get(*, membership: Membership, public_id: UUID | str) -> Student:
    try:
        return students_for(membership=membership, include_archived=True).get(public_id=public_id)
    except Student.DoesNotExist as error:
        raise NotFound(STUDENT_NOT_FOUND) from error


def class_roster(*, school_class: SchoolClass) -> QuerySet[Student]:
    return school_class.students.filter(archived_at__isnull=True).order_by(
        "family_name", "given_name"
    )


def students_not_in_class(*, school_class: SchoolClass) -> QuerySet[Student]:
    return (
        school_class.organisation.students.filter(archived_at__isnull=True)
        .exclude(enrollments__school_class=school_class)
        .order_by("family_name", "given_name")
    )


def organisation_summary(*, organisation: Organisation) -> dict[str, int]:
    return {
        "students": organisation.students.filter(archived_at__isnull=True).count(),
        "classes": organisation.school_classes.filter(archived_at__isnull=True).count(),
        "teachers": organisation.memberships.filter(role="teacher").count(),
    }


# ----------------------------------------------------------------------------- sessions


def class_sessions_for(*, membership: Membership) -> QuerySet[ClassSession]:
    """An admin sees every session of the school; a teacher the sessions of classes they teach."""
    sessions = membership.organisation.class_sessions.all()
    if not membership.is_admin:
        sessions = sessions.filter(school_class__teacher_assignments__teacher=membership)
    return sessions.select_related("organisation", "school_class", "opened_by__user")


def class_session_get(*, membership: Membership, public_id: UUID | str) -> ClassSession:
    try:
        return class_sessions_for(membership=membership).get(public_id=public_id)
    except ClassSession.DoesNotExist as error:
        raise NotFound(SESSION_NOT_FOUND) from error


def open_session_of(*, school_class: SchoolClass) -> ClassSession | None:
    return school_class.sessions.filter(status=SessionStatus.OPEN).first()


def recent_sessions_of(*, school_class: SchoolClass, limit: int = 10) -> QuerySet[ClassSession]:
    return school_class.sessions.select_related("opened_by__user").order_by("-opened_at")[:limit]


@dataclass(frozen=True)
class RosterRow:
    student: Student
    record: AttendanceRecord | None

    @property
    def state(self) -> str:
        """The student's state as the page shows it: a status, or "not yet"."""
        return self.record.status if self.record else "not_yet"


def session_roster(*, session: ClassSession) -> list[RosterRow]:
    """Everyone in the class, plus anyone with a record who has since left it. Two queries."""
    organisation = session.organisation
    enrolled = Enrollment.objects.filter(
        organisation=organisation, school_class_id=session.school_class_id
    ).values("student_id")
    recorded = AttendanceRecord.objects.filter(organisation=organisation, session=session).values(
        "student_id"
    )
    students = (
        organisation.students.filter(
            Q(pk__in=enrolled, archived_at__isnull=True) | Q(pk__in=recorded)
        )
        .order_by("family_name", "given_name", "student_number")
        .prefetch_related(
            Prefetch(
                "attendance_records",
                # The join lets live payloads name the class without a query per record.
                queryset=AttendanceRecord.objects.filter(session=session).select_related(
                    "session__school_class"
                ),
                to_attr="session_records",
            )
        )
    )
    return [
        RosterRow(student=s, record=s.session_records[0] if s.session_records else None)
        for s in students
    ]


def roster_counts(*, rows: list[RosterRow]) -> dict[str, int]:
    counts = dict.fromkeys([*AttendanceStatus.values, "not_yet"], 0)
    for row in rows:
        counts[row.state] += 1
    return counts


def attendance_changes_of(*, record: AttendanceRecord) -> QuerySet[AttendanceChange]:
    return record.changes.select_related("changed_by").order_by("changed_at", "id")


def student_attendance_history(
    *, membership: Membership, student: Student, limit: int = 50
) -> QuerySet[AttendanceRecord]:
    """A student's latest records with their audit trails; a teacher sees their classes' only.

    Two queries whatever the length: the records, then every change of them.
    """
    records = membership.organisation.attendance_records.filter(student=student)
    if not membership.is_admin:
        records = records.filter(session__school_class__teacher_assignments__teacher=membership)
    return (
        records.select_related("session__school_class")
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=AttendanceChange.objects.select_related("changed_by").order_by(
                    "changed_at", "id"
                ),
            )
        )
        .order_by("-session__opened_at")[:limit]
    )


# ----------------------------------------------------------------------------- days and exports


def school_today(*, organisation: Organisation) -> date:
    return timezone.localtime(timezone=ZoneInfo(organisation.timezone)).date()


def day_bounds(*, organisation: Organisation, day: date) -> tuple[datetime, datetime]:
    """A school day as aware datetimes: midnight to midnight in the school's time zone."""
    zone = ZoneInfo(organisation.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def daily_check_ins(
    *, school_class: SchoolClass, day: date
) -> Iterator[tuple[str, str, str, datetime]]:
    """(given name, family name, number, first seen) of a class's check-ins on one school day,
    in the order they happened; streamed from the database in chunks."""
    organisation = school_class.organisation
    start, end = day_bounds(organisation=organisation, day=day)
    return (
        organisation.attendance_records.filter(
            session__school_class=school_class,
            status__in=[AttendanceStatus.PRESENT, AttendanceStatus.LATE],
            first_seen_at__gte=start,
            first_seen_at__lt=end,
        )
        .order_by("first_seen_at", "pk")
        .values_list(
            "student__given_name",
            "student__family_name",
            "student__student_number",
            "first_seen_at",
        )
        .iterator(chunk_size=2000)
    )


# ----------------------------------------------------------------------------- live pages


def sessions_of_day(*, membership: Membership, day: date) -> QuerySet[ClassSession]:
    """The day's sessions the viewer may see, each with its counts, in one query."""
    start, end = day_bounds(organisation=membership.organisation, day=day)
    records = "records__status"
    return (
        class_sessions_for(membership=membership)
        .filter(opened_at__gte=start, opened_at__lt=end)
        .annotate(
            enrolled=Count("school_class__enrollments", distinct=True),
            present=Count("records", filter=Q(**{records: "present"}), distinct=True),
            late=Count("records", filter=Q(**{records: "late"}), distinct=True),
            absent=Count("records", filter=Q(**{records: "absent"}), distinct=True),
            excused=Count("records", filter=Q(**{records: "excused"}), distinct=True),
        )
        .order_by("-opened_at")
    )


def recent_check_ins(
    *, membership: Membership, day: date, limit: int = 20
) -> QuerySet[AttendanceRecord]:
    """The latest marks in the day's sessions the viewer may see, newest first (a register of
    another day written or corrected today is not today's attendance)."""
    start, end = day_bounds(organisation=membership.organisation, day=day)
    records = membership.organisation.attendance_records.filter(
        session__opened_at__gte=start, session__opened_at__lt=end
    )
    if not membership.is_admin:
        records = records.filter(session__school_class__teacher_assignments__teacher=membership)
    return records.select_related("session__school_class", "student").order_by("-updated_at")[
        :limit
    ]

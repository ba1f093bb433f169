"""Every write to sessions and attendance records. No other path writes an AttendanceRecord.

Each change of a record's status writes its AttendanceChange in the same transaction, so no
path (page, camera, API, Django admin) can skip the audit. Broadcasts are sent on commit.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import Membership, Organisation, User
from records import signals
from records.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    ClassSession,
    Enrollment,
    SchoolClass,
    SessionStatus,
    Student,
    TeacherAssignment,
)
from records.services.roster import ARCHIVED_CLASS, CROSS_SCHOOL

NOT_THEIR_CLASS = "Only a teacher of this class or a school admin can do this."
SESSION_CLOSED = "This session is closed; correct its records instead of marking new ones."
NOT_ENROLLED = "This student is not in the session's class."
REASON_AFTER_CLOSE = "Say why: a reason is needed to change a record after the session closed."
REASON_FOR_EXCUSE = "Say why the student is excused."
NO_ACTOR = "Say who is making this change."
CLOSED_BY_ROSTER = "Not seen before the session closed."
UNKNOWN_STATUS = "Choose present, late, absent or excused."


def correction_locked_message(hours: int) -> str:
    return (
        f"This session closed more than {hours} hour{'s' if hours != 1 else ''} ago; "
        "ask a school admin to correct it."
    )


# ----------------------------------------------------------------------------- helpers


def _membership_of(actor: User | None, organisation: Organisation) -> Membership | None:
    """The actor's place in this school; a login of another school is refused outright."""
    if actor is None:
        return None
    membership = getattr(actor, "membership", None)
    if membership is not None and membership.organisation_id != organisation.pk:
        raise DomainError(CROSS_SCHOOL, code="cross_organisation")
    return membership


def _teaches(membership: Membership, school_class_id: int) -> bool:
    return TeacherAssignment.objects.filter(
        school_class_id=school_class_id, teacher=membership
    ).exists()


def _require_teacher_or_admin(membership: Membership, school_class_id: int) -> None:
    if not (membership.is_admin or _teaches(membership, school_class_id)):
        raise PermissionDenied(NOT_THEIR_CLASS)


def _status_at(session: ClassSession, at: datetime) -> str:
    """Late when first seen strictly after opened_at + the school's late-after minutes."""
    boundary = session.opened_at + timedelta(minutes=session.organisation.late_after_minutes)
    return AttendanceStatus.LATE if at > boundary else AttendanceStatus.PRESENT


def _clean(instance: models.Model, *, exclude: tuple[str, ...]) -> None:
    """full_clean without the per-key lookups (the keys come from loaded objects) and without
    the read-then-write uniqueness check (the database constraint decides)."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=field) from error


def _audit(
    *,
    record: AttendanceRecord,
    old_status: str,
    actor: User | None,
    reason: str,
    source: str,
    at: datetime,
) -> AttendanceChange:
    change = AttendanceChange(
        organisation_id=record.organisation_id,
        record=record,
        changed_by=actor,
        changed_at=at,
        old_status=old_status,
        new_status=record.status,
        reason=reason,
        source=source,
    )
    _clean(change, exclude=("organisation", "record", "changed_by"))
    change.save()
    return change


def _locked_session(session: ClassSession) -> ClassSession:
    """Re-read the session under a row lock: marks and the close cannot interleave."""
    return (
        ClassSession.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=session.pk)
    )


# ----------------------------------------------------------------------------- sessions


def session_open(
    *, school_class: SchoolClass, opened_by: Membership, at: datetime | None = None
) -> tuple[ClassSession, bool]:
    """Idempotent: with a session of the class already open, that one is returned.

    `at` back-dates the opening (demo history, registers entered after a lesson); default now.
    """
    organisation = school_class.organisation
    if opened_by.organisation_id != organisation.pk:
        raise DomainError(CROSS_SCHOOL, code="cross_organisation")
    if school_class.archived_at is not None:
        raise DomainError(ARCHIVED_CLASS, code="archived")
    _require_teacher_or_admin(opened_by, school_class.pk)
    existing = school_class.sessions.filter(status=SessionStatus.OPEN).first()
    if existing is not None:
        return existing, False
    session = ClassSession(
        organisation=organisation,
        school_class=school_class,
        opened_by=opened_by,
        opened_at=at or timezone.now(),
    )
    _clean(session, exclude=("organisation", "school_class", "opened_by"))
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError:
        # Two taps on "Start" at once: the partial unique constraint let one through.
        return school_class.sessions.get(status=SessionStatus.OPEN), False
    return session, True


@transaction.atomic
def session_close(
    *, session: ClassSession, closed_by: Membership, at: datetime | None = None
) -> ClassSession:
    """Close, and mark absent everyone on the roster who has no record yet. Idempotent."""
    session = _locked_session(session)
    if closed_by.organisation_id != session.organisation_id:
        raise DomainError(CROSS_SCHOOL, code="cross_organisation")
    _require_teacher_or_admin(closed_by, session.school_class_id)
    if not session.is_open:
        return session
    now = timezone.now()
    unseen = (
        Enrollment.objects.filter(
            school_class_id=session.school_class_id, student__archived_at__isnull=True
        )
        .exclude(student__attendance_records__session=session)
        .values_list("student_id", flat=True)
    )
    absent = AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(
                organisation_id=session.organisation_id,
                session=session,
                student_id=student_id,
                status=AttendanceStatus.ABSENT,
                source=AttendanceSource.MANUAL,
                marked_by=closed_by,
            )
            for student_id in unseen
        ]
    )
    AttendanceChange.objects.bulk_create(
        [
            AttendanceChange(
                organisation_id=session.organisation_id,
                record=record,
                changed_by=closed_by.user,
                changed_at=now,
                old_status="",
                new_status=AttendanceStatus.ABSENT,
                reason=CLOSED_BY_ROSTER,
                source=AttendanceSource.MANUAL,
            )
            for record in absent
        ]
    )
    session.status = SessionStatus.CLOSED
    session.closed_at = at or now
    session.save(update_fields=["status", "closed_at", "updated_at"])
    transaction.on_commit(lambda: signals.session_closed.send(sender=ClassSession, session=session))
    return session


# ----------------------------------------------------------------------------- records


def attendance_mark(
    *,
    session: ClassSession,
    student: Student,
    source: str,
    actor: User | None,
    distance: float | None = None,
    model_version: int | None = None,
    at: datetime | None = None,
    status: str | None = None,
    reason: str = "",
) -> tuple[AttendanceRecord, bool]:
    """Idempotent per (session, student): the unique constraint, not a read-then-write, decides.

    The status is present or late from the time seen, unless a person chose it (`status`).
    A second mark returns the first record unchanged, with False.
    """
    at = at or timezone.now()
    reason = reason.strip()
    with transaction.atomic():
        session = _locked_session(session)
        organisation = session.organisation
        if student.organisation_id != organisation.pk:
            raise DomainError(CROSS_SCHOOL, code="cross_organisation")
        membership = _membership_of(actor, organisation)
        if membership is not None:
            _require_teacher_or_admin(membership, session.school_class_id)
        elif actor is None and source not in (AttendanceSource.FACE, AttendanceSource.API):
            raise PermissionDenied(NO_ACTOR)
        if not session.is_open:
            raise DomainError(SESSION_CLOSED, code="session_closed")
        if not Enrollment.objects.filter(
            school_class_id=session.school_class_id, student=student
        ).exists():
            raise DomainError(NOT_ENROLLED, code="not_enrolled")
        status = status or _status_at(session, at)
        if status == AttendanceStatus.EXCUSED and not reason:
            raise DomainError(REASON_FOR_EXCUSE, field="reason")
        seen = status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        record = AttendanceRecord(
            organisation=organisation,
            session=session,
            student=student,
            status=status,
            excuse_reason=reason if status == AttendanceStatus.EXCUSED else "",
            source=source,
            first_seen_at=at if seen else None,
            distance=distance,
            model_version=model_version,
            marked_by=membership,
        )
        _clean(record, exclude=("organisation", "session", "student", "marked_by"))
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            return AttendanceRecord.objects.get(session=session, student=student), False
        _audit(
            record=record,
            old_status="",
            actor=actor,
            reason=reason,
            source=source,
            at=timezone.now(),  # when it was written; `at` is when the student was seen
        )
        transaction.on_commit(
            lambda: signals.attendance_marked.send(sender=AttendanceRecord, record=record)
        )
    return record, True


def _authorise_correction(
    record: AttendanceRecord, actor: User | None, source: str, now: datetime
) -> Membership | None:
    """Admins always; teachers for their own classes while open or within the window."""
    session = record.session
    organisation = session.organisation
    membership = _membership_of(actor, organisation)
    if membership is None:
        if actor is not None and actor.is_superuser:
            return None
        if actor is None and source == AttendanceSource.API:
            return None
        raise PermissionDenied(NO_ACTOR if actor is None else NOT_THEIR_CLASS)
    if membership.is_admin:
        return membership
    if not _teaches(membership, session.school_class_id):
        raise PermissionDenied(NOT_THEIR_CLASS)
    if not session_correctable(session=session, membership=membership, now=now):
        raise PermissionDenied(correction_locked_message(organisation.correction_window_hours))
    return membership


def session_correctable(
    *, session: ClassSession, membership: Membership, now: datetime | None = None
) -> bool:
    """Whether the session's records may still change: always for admins; for its teachers
    while open and for the school's correction window after close. Pages ask this to hide
    buttons; `attendance_set_status` enforces it."""
    if membership.is_admin or session.is_open or session.closed_at is None:
        return True
    window = timedelta(hours=session.organisation.correction_window_hours)
    return (now or timezone.now()) <= session.closed_at + window


@transaction.atomic
def attendance_set_status(
    *, record: AttendanceRecord, status: str, reason: str, actor: User | None, source: str
) -> AttendanceRecord:
    """Change a record's status and audit it. Setting the status it already has changes nothing."""
    now = timezone.now()
    reason = reason.strip()
    record = (
        AttendanceRecord.objects.select_for_update(of=("self",))
        .select_related("session__organisation")
        .get(pk=record.pk)
    )
    membership = _authorise_correction(record, actor, source, now)
    if status not in AttendanceStatus.values:
        raise DomainError(UNKNOWN_STATUS, field="status")
    if not record.session.is_open and not reason:
        raise DomainError(REASON_AFTER_CLOSE, field="reason")
    if status == AttendanceStatus.EXCUSED and not reason:
        raise DomainError(REASON_FOR_EXCUSE, field="reason")
    excuse_reason = reason if status == AttendanceStatus.EXCUSED else ""
    if record.status == status and record.excuse_reason == excuse_reason:
        return record
    old_status = record.status
    record.status = status
    record.excuse_reason = excuse_reason
    record.source = source
    record.marked_by = membership
    seen = status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
    if seen and record.first_seen_at is None and record.session.is_open:
        record.first_seen_at = now
    _clean(record, exclude=("organisation", "session", "student", "marked_by"))
    record.save()
    change = _audit(
        record=record, old_status=old_status, actor=actor, reason=reason, source=source, at=now
    )
    transaction.on_commit(
        lambda: signals.attendance_changed.send(
            sender=AttendanceRecord, record=record, change=change
        )
    )
    return record


def attendance_mark_by_hand(
    *, session: ClassSession, student: Student, status: str, reason: str, actor: User
) -> AttendanceRecord:
    """The session page's one tap: the first mark of the student, or a change of their mark."""
    if status not in AttendanceStatus.values:
        raise DomainError(UNKNOWN_STATUS, field="status")
    existing = AttendanceRecord.objects.filter(session=session, student=student).first()
    if existing is None:
        record, created = attendance_mark(
            session=session,
            student=student,
            source=AttendanceSource.MANUAL,
            actor=actor,
            status=status,
            reason=reason,
        )
        if created:
            return record
        existing = record  # a camera mark won the race: change it as asked
    return attendance_set_status(
        record=existing, status=status, reason=reason, actor=actor, source=AttendanceSource.MANUAL
    )

"""What a camera may do in a session: the roster it may recognise, and checking a student in."""

from dataclasses import dataclass

from accounts.errors import DomainError
from recognition.models import Consent
from recognition.services.consent import biometrics_require
from records import services as records_services
from records.models import AttendanceRecord, ClassSession

SESSION_NOT_OPEN = "This session is closed; start a new one to take attendance."


@dataclass(frozen=True)
class CameraRoster:
    """The students this camera may recognise (public id → name) and the school's thresholds."""

    names: dict[str, str]
    accept: float
    suggest: float


def camera_roster(*, session: ClassSession) -> CameraRoster:
    """Only the session's class, and only students with active consent: fewer candidates,
    fewer false accepts, and nobody without consent is ever recognisable."""
    organisation = session.organisation
    organisation.refresh_from_db(
        fields=["biometrics_enabled", "accept_threshold", "suggest_threshold"]
    )
    biometrics_require(organisation)
    session.refresh_from_db(fields=["status"])
    if not session.is_open:
        raise DomainError(SESSION_NOT_OPEN, code="session_closed")
    consented = Consent.objects.filter(organisation=organisation, withdrawn_at__isnull=True).values(
        "student_id"
    )
    students = session.school_class.students.filter(
        archived_at__isnull=True, pk__in=consented
    ).only("public_id", "given_name", "family_name")
    return CameraRoster(
        names={str(s.public_id): s.full_name for s in students},
        accept=organisation.accept_threshold,
        suggest=organisation.suggest_threshold,
    )


def camera_check_in(
    *,
    session: ClassSession,
    student_id: str,
    distance: float,
    model_version: int | None,
    confirmed_by: object | None = None,
) -> tuple[AttendanceRecord, bool]:
    """A face match becomes the same record a teacher's tap makes, with source "face"."""
    student = session.school_class.students.get(public_id=student_id)
    return records_services.attendance_mark(
        session=session,
        student=student,
        source="face",
        actor=confirmed_by,
        distance=distance,
        model_version=model_version,
    )

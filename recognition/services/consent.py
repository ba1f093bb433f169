from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, DomainError
from accounts.models import Membership, Organisation
from recognition.errors import BiometricsOff
from recognition.models import Consent
from recognition.services.erasure import student_biometrics_erase
from records.models import Student


def biometrics_require(organisation: Organisation) -> None:
    if not organisation.biometrics_enabled:
        raise BiometricsOff()


def biometrics_set(*, organisation: Organisation, enabled: bool) -> Organisation:
    """Turning recognition off stops every biometric page, upload, build and camera at once;
    the photos stay until erased (withdrawal, deletion, retention), so turning it back on does
    not need every family to enrol again."""
    organisation.biometrics_enabled = enabled
    organisation.save(update_fields=["biometrics_enabled"])
    return organisation


@transaction.atomic
def consent_record(
    *,
    student: Student,
    given_by: str,
    given_on: date,
    evidence: str,
    recorded_by: Membership,
) -> Consent:
    organisation = student.organisation
    biometrics_require(organisation)
    if student.archived_at is not None:
        raise DomainError("This student is archived; restore them before recording consent.")
    if given_on > timezone.localdate():
        raise DomainError("Consent cannot be dated in the future.", field="given_on")
    if Consent.objects.filter(student=student, withdrawn_at__isnull=True).exists():
        raise Conflict("This student already has an active consent.")
    consent = Consent(
        organisation=organisation,
        student=student,
        given_by=given_by.strip(),
        given_on=given_on,
        evidence=evidence.strip(),
        recorded_by=recorded_by,
    )
    consent.full_clean()
    consent.save()
    return consent


@transaction.atomic
def consent_withdraw(*, student: Student, withdrawn_by: Membership) -> int:
    """Withdrawal erases the student's photos and embeddings and rebuilds the model.

    Returns how many consents were withdrawn (0 when there was none to withdraw). Works even
    while recognition is off: a family's withdrawal must never be refused.
    """
    withdrawn = Consent.objects.filter(student=student, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_by=withdrawn_by
    )
    student_biometrics_erase(student=student, reason="consent withdrawn")
    return withdrawn

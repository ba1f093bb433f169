"""Erasing a student's biometric data: photos and embeddings go, and the model is rebuilt."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organisation
from recognition.services.builds import rebuild_request
from records.models import Student


@transaction.atomic
def student_biometrics_erase(*, student: Student, reason: str) -> int:
    """Delete every photo (embeddings cascade); files and the rebuild follow on commit through
    the FacePhoto deletion receiver. Returns how many photos were erased."""
    photos = student.face_photos.all()
    erased = photos.count()
    photos.delete()
    rebuild_request(organisation=student.organisation, reason=reason)
    return erased


def biometrics_erase_expired(*, organisation: Organisation, now: datetime | None = None) -> int:
    """The retention period counts from a student's most recent enrolment photo."""
    cutoff = (now or timezone.now()) - timedelta(days=organisation.retention_days)
    expired = organisation.students.annotate(last_photo=Max("face_photos__created_at")).filter(
        last_photo__lt=cutoff
    )
    erased = 0
    for student in expired:
        erased += student_biometrics_erase(student=student, reason="retention period over")
    return erased

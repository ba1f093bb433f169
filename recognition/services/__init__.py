"""Every write to biometric data: consent, enrolment photos, model builds, erasure."""

from recognition.services.builds import face_model_build, rebuild_request, rebuild_requests_sweep
from recognition.services.consent import biometrics_set, consent_record, consent_withdraw
from recognition.services.enrolment import face_photo_delete, face_photo_enrol
from recognition.services.erasure import biometrics_erase_expired, student_biometrics_erase

__all__ = [
    "biometrics_erase_expired",
    "biometrics_set",
    "consent_record",
    "consent_withdraw",
    "face_model_build",
    "face_photo_delete",
    "face_photo_enrol",
    "rebuild_request",
    "rebuild_requests_sweep",
    "student_biometrics_erase",
]

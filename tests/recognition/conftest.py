"""Real photos for the biometric tests: Yale subjects, one face each, from ../shared/faces."""

import os

import cv2
import numpy as np
import pytest

from accounts.scoping import organisation_scope
from recognition import services
from tests.conftest import FACES_DIR

YALE = FACES_DIR / "yale"


def _require_faces() -> None:
    if YALE.is_dir():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs the shared face photos at {YALE}")
    pytest.skip(f"the shared face photos are absent ({YALE}); they are read, never committed")


def yale_photo(subject: int, condition: str) -> bytes:
    _require_faces()
    return (YALE / f"subject{subject:02d}" / f"{condition}.gif").read_bytes()


def as_jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def decoded(data: bytes) -> np.ndarray:
    from recognition.engine.decode import decode_image

    return decode_image(data)


# Enrolment and probe conditions: different lighting and expressions from the ones enrolled.
ENROL = ("noglasses", "happy", "sleepy", "surprised", "glasses")
PROBE = ("wink",)


@pytest.fixture
def biometric_school(school_a, school_b):
    """School A with recognition on and consent for its student; school B is on too."""
    for school in (school_a, school_b):
        school.organisation.biometrics_enabled = True
        school.organisation.save()
        with organisation_scope(school.organisation):
            services.consent_record(
                student=school.student,
                given_by="A parent",
                given_on=school.student.created_at.date(),
                evidence="Signed form in the office",
                recorded_by=school.admin,
            )
    return school_a


def enrol(school, student, subject: int, conditions=ENROL):
    with organisation_scope(school.organisation):
        return [
            services.face_photo_enrol(
                student=student, data=yale_photo(subject, condition), uploaded_by=school.admin
            )
            for condition in conditions
        ]


def enrolled_classroom(school):
    """School A with recognition on: its student (Yale subject 1) and Ada Lovelace (subject 2)
    in the class with consent and photos, a model built and a session open. Any other Yale
    subject is a stranger here."""
    from records import services as records_services
    from tests.factories import StudentFactory

    organisation = school.organisation
    organisation.biometrics_enabled = True
    organisation.save()
    ada = StudentFactory(organisation=organisation, given_name="Ada", family_name="Lovelace")
    with organisation_scope(organisation):
        records_services.enrollment_create(school_class=school.school_class, student=ada)
        for student in (school.student, ada):
            services.consent_record(
                student=student,
                given_by="A parent",
                given_on=student.created_at.date(),
                evidence="",
                recorded_by=school.admin,
            )
    enrol(school, school.student, 1)
    enrol(school, ada, 2)
    with organisation_scope(organisation):
        # Eager Celery has built it on commit already; with a broker, build it here.
        services.face_model_build(organisation=organisation)
        session, _ = records_services.session_open(
            school_class=school.school_class, opened_by=school.teacher
        )
    return session, ada

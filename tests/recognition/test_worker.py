"""With REDIS_URL (CI): enrolled photos go through Redis to a real worker that builds the model."""

import time

import pytest
from django.conf import settings

from accounts.scoping import organisation_scope
from recognition import services
from recognition.models import FaceModel
from tests.recognition.conftest import enrol
from tests.recognition.test_builds import _probe

pytestmark = [pytest.mark.faces, pytest.mark.services]


def _wait_for_model(organisation, photos: int, timeout: float = 90) -> FaceModel:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with organisation_scope(organisation):
            model = FaceModel.objects.filter(status="ready", photos_count=photos).first()
        if model is not None:
            return model
        time.sleep(0.2)
    raise AssertionError(f"no ready model with {photos} photos within {timeout} s")


def test_enrolled_photos_reach_a_worker_and_the_new_model_recognises_the_student(
    celery_worker, school_a, school_b, private_root
):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without it Celery runs eagerly (covered by test_builds)")
    organisation = school_a.organisation
    organisation.biometrics_enabled = True
    organisation.save()
    with organisation_scope(organisation):
        services.consent_record(
            student=school_a.student,
            given_by="A parent",
            given_on=school_a.student.created_at.date(),
            evidence="",
            recorded_by=school_a.admin,
        )
    enrol(school_a, school_a.student, 1)  # each photo commits and enqueues a rebuild
    model = _wait_for_model(organisation, photos=5)
    assert model.students_count == 1
    assert _probe(school_a, 1).label == str(school_a.student.public_id)
    assert _probe(school_a, 7).decision == "unknown"

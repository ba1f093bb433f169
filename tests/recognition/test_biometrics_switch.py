"""While a school has recognition off, every biometric page and endpoint refuses."""

import pytest
from django.urls import reverse

from accounts.scoping import organisation_scope
from recognition import services
from tests.recognition.conftest import enrol

pytestmark = pytest.mark.faces


def _routes(school, photo):
    student = {"public_id": school.student.public_id}
    return [
        ("get", reverse("student_faces", kwargs=student)),
        ("post", reverse("consent_create", kwargs=student)),
        ("post", reverse("photo_upload", kwargs=student)),
        ("get", reverse("photo_image", kwargs={"public_id": photo.public_id})),
        ("post", reverse("model_rebuild")),
    ]


def test_biometric_routes_refuse_while_recognition_is_off(biometric_school, client_for):
    school = biometric_school
    [photo] = enrol(school, school.student, 1, conditions=("noglasses",))
    services.biometrics_set(organisation=school.organisation, enabled=False)
    client = client_for(school.admin)
    for method, url in _routes(school, photo):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
        assert "Face recognition is turned off" in response.text


def test_with_recognition_off_no_model_is_built(biometric_school):
    school = biometric_school
    enrol(school, school.student, 1, conditions=("noglasses",))
    services.biometrics_set(organisation=school.organisation, enabled=False)
    with organisation_scope(school.organisation):
        assert services.face_model_build(organisation=school.organisation) is None


def test_consent_can_be_withdrawn_even_while_recognition_is_off(biometric_school, client_for):
    school = biometric_school
    enrol(school, school.student, 1, conditions=("noglasses",))
    services.biometrics_set(organisation=school.organisation, enabled=False)
    response = client_for(school.admin).post(
        reverse("consent_withdraw", kwargs={"public_id": school.student.public_id})
    )
    assert response.status_code == 302
    with organisation_scope(school.organisation):
        assert school.student.face_photos.count() == 0


def test_an_admin_turns_recognition_on_and_off(school_a, school_b, client_for):
    client = client_for(school_a.admin)
    client.post(reverse("biometrics_toggle"), {"enabled": "on"})
    school_a.organisation.refresh_from_db()
    assert school_a.organisation.biometrics_enabled
    school_b.organisation.refresh_from_db()
    assert not school_b.organisation.biometrics_enabled
    client.post(reverse("biometrics_toggle"), {})
    school_a.organisation.refresh_from_db()
    assert not school_a.organisation.biometrics_enabled

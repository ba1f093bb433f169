"""Erasure leaves nothing behind: no photo, no embedding, no model file that holds them."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from accounts.scoping import organisation_scope
from recognition import services
from recognition.engine.index import FaceIndex
from recognition.models import FaceEmbedding, FaceModel, FacePhoto
from recognition.serving import serving_model
from tests.factories import StudentFactory
from tests.recognition.conftest import enrol

pytestmark = pytest.mark.faces


def _erased_everywhere(private_root, vectors: np.ndarray) -> bool:
    """No stored row and no model file holds a vector within 1e-6 of the erased ones."""
    for embedding in FaceEmbedding.objects.all():
        stored = np.frombuffer(bytes(embedding.vector), dtype="<f4")
        if np.min(np.abs(vectors - stored).max(axis=1)) < 1e-6:
            return False
    for path in private_root.rglob("*.npz"):
        FaceIndex.load(path)  # a real index file, checksum and all
        with np.load(path, allow_pickle=False) as data:
            stored = data["embeddings"]
        if (
            len(stored)
            and np.min(np.abs(stored[:, None, :] - vectors[None, :, :]).max(axis=2)) < 1e-6
        ):
            return False
    return True


@pytest.mark.parametrize("how", ["consent withdrawn", "student deleted", "retention over"])
def test_an_erased_student_is_gone_from_storage_rows_and_every_model(
    biometric_school, school_b, private_root, how, time_machine
):
    school = biometric_school
    organisation = school.organisation
    keeper = StudentFactory(organisation=organisation)
    with organisation_scope(organisation):
        services.consent_record(
            student=keeper,
            given_by="A parent",
            given_on=keeper.created_at.date(),
            evidence="",
            recorded_by=school.admin,
        )
    enrol(school, school.student, 1)
    with organisation_scope(organisation):
        services.face_model_build(organisation=organisation)
        erased_vectors = np.array(
            [
                np.frombuffer(bytes(e.vector), dtype="<f4")
                for e in FaceEmbedding.objects.filter(photo__student=school.student)
            ]
        )
        assert len(erased_vectors) == 5
    if how == "retention over":
        time_machine.move_to(timezone.now() + timedelta(days=400), tick=False)
    enrol(school, keeper, 2)  # a student enrolled later, who stays

    with organisation_scope(organisation), django_capture_on_commit():
        if how == "consent withdrawn":
            services.consent_withdraw(student=school.student, withdrawn_by=school.admin)
        elif how == "student deleted":
            school.student.delete()
        else:
            assert services.biometrics_erase_expired(organisation=organisation) == 5
    with organisation_scope(organisation):
        # Eager Celery already rebuilt on commit; a worker would have (test_worker.py).
        services.face_model_build(organisation=organisation)
        rebuilt = FaceModel.objects.filter(status="ready").latest()
        assert FacePhoto.objects.filter(student__public_id=school.student.public_id).count() == 0
        assert _erased_everywhere(private_root, erased_vectors)
        assert rebuilt.students_count == 1
        labels = serving_model(organisation=organisation).index.labels
    assert str(school.student.public_id) not in labels
    assert len(list(private_root.rglob("*.jpg"))) == 5  # only the keeper's photos remain
    assert len(list(private_root.rglob("*.npz"))) == 1  # older versions are deleted


def django_capture_on_commit():
    """Run the on-commit work (file deletion, rebuild request) inside the test transaction."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_deleting_a_whole_school_removes_its_photos_and_asks_for_no_rebuild(
    biometric_school, school_b, private_root
):
    school = biometric_school
    enrol(school, school.student, 1, conditions=("noglasses",))
    with django_capture_on_commit():
        school.organisation.delete()
    assert list(private_root.rglob("*.jpg")) == []
    with organisation_scope(school_b.organisation):
        assert FacePhoto.objects.count() == 0  # school B had none; A's are gone with A

"""Building a school's model: cached embeddings, one build at a time, atomic publication."""

import threading

import pytest

from accounts.scoping import organisation_scope
from recognition import services
from recognition.engine.engines import get_engine
from recognition.models import FaceEmbedding, FaceModel, RebuildRequest
from recognition.serving import serving_model
from tests.factories import StudentFactory
from tests.recognition.conftest import PROBE, decoded, enrol, yale_photo

pytestmark = pytest.mark.faces


def _probe(school, subject: int, condition: str = PROBE[0]):
    """Who the school's serving model says a Yale probe photo shows (label or None)."""
    engine = get_engine()
    image = decoded(yale_photo(subject, condition))
    vectors = engine.embed(image, engine.detect(image)[:1])
    with organisation_scope(school.organisation):
        serving = serving_model(organisation=school.organisation)
    org = school.organisation
    [match] = serving.index.query(
        vectors, accept=org.accept_threshold, suggest=org.suggest_threshold
    )
    return match


def _two_students_enrolled(school):
    other = StudentFactory(organisation=school.organisation)
    with organisation_scope(school.organisation):
        services.consent_record(
            student=other,
            given_by="A parent",
            given_on=other.created_at.date(),
            evidence="",
            recorded_by=school.admin,
        )
    enrol(school, school.student, 1)
    enrol(school, other, 2)
    return other


def test_a_build_recognises_enrolled_students_and_rejects_a_stranger(biometric_school, school_b):
    school = biometric_school
    other = _two_students_enrolled(school)
    with organisation_scope(school.organisation):
        model = services.face_model_build(organisation=school.organisation)
    assert model.status == "ready"
    assert (model.students_count, model.photos_count) == (2, 10)
    assert _probe(school, 1).label == str(school.student.public_id)
    assert _probe(school, 1).decision == "accept"
    assert _probe(school, 2).label == str(other.public_id)
    stranger = _probe(school, 9)
    assert stranger.decision == "unknown"
    assert stranger.label is None


def test_a_rebuild_embeds_only_photos_that_lack_an_embedding(biometric_school):
    school = biometric_school
    enrol(school, school.student, 1, conditions=("noglasses", "happy"))
    with organisation_scope(school.organisation):
        first = services.face_model_build(organisation=school.organisation)
        enrol(school, school.student, 1, conditions=("sleepy",))
        second = services.face_model_build(organisation=school.organisation)
        assert (first.to_embed_count, second.to_embed_count) == (2, 1)
        assert second.version == first.version + 1
        assert FaceEmbedding.objects.count() == 3


def test_requests_during_a_build_cause_exactly_one_more_build(biometric_school):
    school = biometric_school
    enrol(school, school.student, 1)
    organisation = school.organisation
    interrupted = []

    def while_building(model):
        # Three changes arrive while version 1 is being built; each tries to start a build.
        if interrupted:
            return
        interrupted.append(model.version)
        for _ in range(3):
            services.rebuild_request(organisation=organisation, reason="photo enrolled")
            assert services.face_model_build(organisation=organisation) is None

    with organisation_scope(organisation):
        last = services.face_model_build(organisation=organisation, on_progress=while_building)
        versions = list(FaceModel.objects.order_by("version").values_list("version", "status"))
        assert RebuildRequest.objects.filter(claimed_by__isnull=True).count() == 0
    assert interrupted == [1]
    assert versions == [(1, "ready"), (2, "ready")]
    assert last.version == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_build_requests_run_one_build_at_a_time(school_a, school_b, private_root):
    """Real threads, each with its own database connection, all asking at once."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (DATABASE_URL); SQLite locks the file")
    from tests.recognition.conftest import enrol as enrol_photos

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
    enrol_photos(school_a, school_a.student, 1, conditions=("noglasses", "happy"))
    results, errors = [], []

    def ask():
        try:
            with organisation_scope(organisation):
                services.rebuild_request(organisation=organisation, reason="concurrent")
                results.append(services.face_model_build(organisation=organisation))
        except Exception as error:
            errors.append(error)
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with organisation_scope(organisation):
        statuses = list(FaceModel.objects.values_list("status", flat=True))
        assert RebuildRequest.objects.filter(claimed_by__isnull=True).count() == 0
    assert set(statuses) == {"ready"}
    assert 1 <= len(statuses) <= 4
    assert sum(result is not None for result in results) == len(
        {result.version for result in results if result is not None}
    )


def test_a_failed_build_keeps_the_previous_version_serving_and_says_why(
    biometric_school, private_root
):
    school = biometric_school
    enrol(school, school.student, 1)
    with organisation_scope(school.organisation):
        good = services.face_model_build(organisation=school.organisation)
        # A photo whose file has gone missing from storage: the next build cannot embed it.
        enrol(school, school.student, 1, conditions=("wink",))
        newest = school.student.face_photos.order_by("-created_at").first()
        (private_root / newest.image.name).unlink()
        failed = services.face_model_build(organisation=school.organisation)
        assert failed.status == "failed"
        assert "FileNotFoundError" in failed.error
        assert serving_model(organisation=school.organisation).version == good.version
        status = services_status(school)
    assert status["last_failed"]["version"] == failed.version
    assert status["serving"]["version"] == good.version


def services_status(school):
    from recognition.selectors import model_status

    return model_status(organisation=school.organisation)


def test_the_model_page_shows_build_progress_to_admins(biometric_school, client_for):
    school = biometric_school
    enrol(school, school.student, 1)
    with organisation_scope(school.organisation):
        services.face_model_build(organisation=school.organisation)
    status = client_for(school.admin).get("/recognition/status.json").json()
    assert status["serving"]["students"] == 1
    assert status["serving"]["photos"] == 5
    page = client_for(school.admin).get("/recognition/")
    assert "model version serving" in page.text


def test_a_new_version_replaces_the_loaded_one_without_a_restart(biometric_school):
    school = biometric_school
    enrol(school, school.student, 1, conditions=("noglasses",))
    with organisation_scope(school.organisation):
        first = services.face_model_build(organisation=school.organisation)
        assert serving_model(organisation=school.organisation).version == first.version
        enrol(school, school.student, 1, conditions=("happy",))
        second = services.face_model_build(organisation=school.organisation)
        assert serving_model(organisation=school.organisation).version == second.version
        assert serving_model(organisation=school.organisation).index.size == 2

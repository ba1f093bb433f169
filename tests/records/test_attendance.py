"""Marks: present or late from the time, one row per student and session, refusals with reasons,
announced after commit; corrections: who may, and until when."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction

from accounts.errors import DomainError, PermissionDenied
from accounts.scoping import organisation_scope
from records import services, signals
from records.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
)
from tests.factories import (
    EnrollmentFactory,
    SchoolClassFactory,
    StudentFactory,
    TeacherAssignmentFactory,
)
from tests.records.conftest import OPENED, minutes_after_opening

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _mark(session, student, *, actor=None, source="face", **kwargs):
    return services.attendance_mark(
        session=session, student=student, source=source, actor=actor, **kwargs
    )


# ----------------------------------------------------------------------------- present or late


def test_a_student_seen_before_the_late_boundary_is_present(school_a, session_a, scope_a):
    record, created = _mark(session_a, school_a.student, at=minutes_after_opening(9))
    assert created
    assert record.status == AttendanceStatus.PRESENT
    assert record.first_seen_at == minutes_after_opening(9)


def test_a_student_seen_exactly_at_the_late_boundary_is_present(school_a, session_a, scope_a):
    record, _ = _mark(session_a, school_a.student, at=minutes_after_opening(10))
    assert record.status == AttendanceStatus.PRESENT


def test_a_student_first_seen_after_the_late_boundary_is_late(school_a, session_a, scope_a):
    record, _ = _mark(session_a, school_a.student, at=minutes_after_opening(10) + timedelta(0, 1))
    assert record.status == AttendanceStatus.LATE


def test_the_late_boundary_is_the_schools_own_setting(school_a, session_a, clock, scope_a):
    school_a.organisation.late_after_minutes = 0
    school_a.organisation.save()
    clock.move_to(minutes_after_opening(1), tick=False)
    record, _ = _mark(session_a, school_a.student)
    assert record.status == AttendanceStatus.LATE


def test_a_face_mark_keeps_its_distance_and_model_version(school_a, session_a, scope_a):
    record, _ = _mark(session_a, school_a.student, distance=0.31, model_version=4)
    record.refresh_from_db()
    assert (record.source, record.distance, record.model_version) == ("face", 0.31, 4)
    assert record.marked_by is None


def test_a_teachers_mark_names_the_teacher(school_a, session_a, scope_a):
    record, _ = _mark(session_a, school_a.student, actor=school_a.teacher.user, source="manual")
    assert record.marked_by == school_a.teacher


# ----------------------------------------------------------------------------- one row


def test_marking_twice_keeps_one_row_and_the_first_time(school_a, session_a, scope_a):
    first, created = _mark(session_a, school_a.student, at=minutes_after_opening(2))
    second, created_again = _mark(session_a, school_a.student, at=minutes_after_opening(20))
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk
    assert second.status == AttendanceStatus.PRESENT
    assert second.first_seen_at == minutes_after_opening(2)
    assert AttendanceRecord.objects.count() == 1
    assert AttendanceChange.objects.count() == 1


def test_the_database_allows_one_record_per_student_and_session(school_a, session_a, scope_a):
    from django.db import IntegrityError

    _mark(session_a, school_a.student)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.create(
            organisation=school_a.organisation,
            session=session_a,
            student=school_a.student,
            status="present",
            source="api",
        )


@pytest.mark.services
@pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL (DATABASE_URL): SQLite serialises all writers"
)
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_check_ins_make_one_row(school_a, school_b, session_a):
    start = threading.Barrier(20)
    results, errors = [], []

    def check_in():
        try:
            with organisation_scope(school_a.organisation):
                start.wait(timeout=10)
                results.append(_mark(session_a, school_a.student, distance=0.3, model_version=1))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=check_in) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 20
    assert [created for _, created in results].count(True) == 1
    assert len({record.pk for record, _ in results}) == 1
    with organisation_scope(school_a.organisation):
        assert AttendanceRecord.objects.count() == 1
        assert AttendanceChange.objects.count() == 1


# ----------------------------------------------------------------------------- refusals


def test_a_student_not_in_the_class_is_refused(school_a, session_a, scope_a):
    outsider = StudentFactory(organisation=school_a.organisation)
    with pytest.raises(DomainError, match="not in the session's class") as refused:
        _mark(session_a, outsider)
    assert refused.value.code == "not_enrolled"
    assert AttendanceRecord.objects.count() == 0


def test_a_school_b_student_is_refused(school_a, school_b, session_a, scope_a):
    with pytest.raises(DomainError) as refused:
        _mark(session_a, school_b.student)
    assert refused.value.code == "cross_organisation"
    assert AttendanceRecord.objects.count() == 0


def test_a_school_b_login_cannot_mark_a_school_a_student(school_a, school_b, session_a, scope_a):
    with pytest.raises(DomainError) as refused:
        _mark(session_a, school_a.student, actor=school_b.admin.user, source="manual")
    assert refused.value.code == "cross_organisation"


def test_a_teacher_of_another_class_cannot_mark(school_a, session_a, scope_a):
    stranger = TeacherAssignmentFactory(
        school_class=SchoolClassFactory(organisation=school_a.organisation)
    ).teacher
    with pytest.raises(PermissionDenied):
        _mark(session_a, school_a.student, actor=stranger.user, source="manual")


def test_a_closed_session_refuses_new_marks(school_a, session_a, scope_a):
    late_enrolment = EnrollmentFactory(school_class=school_a.school_class).student
    services.session_close(session=session_a, closed_by=school_a.teacher)
    with pytest.raises(DomainError, match="session is closed"):
        _mark(session_a, late_enrolment)


def test_excused_needs_a_reason(school_a, session_a, scope_a):
    with pytest.raises(DomainError, match="excused") as refused:
        _mark(
            session_a,
            school_a.student,
            actor=school_a.teacher.user,
            source="manual",
            status="excused",
        )
    assert refused.value.field == "reason"


# ----------------------------------------------------------------------------- announced on commit


def test_a_check_in_is_announced_after_commit(
    school_a, session_a, scope_a, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, record, **kwargs):
        heard.append(record)

    signals.attendance_marked.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            record, _ = _mark(session_a, school_a.student)
            _mark(session_a, school_a.student)  # the second mark changes nothing: no news
        assert heard == []
        for callback in callbacks:
            callback()
        assert heard == [record]
    finally:
        signals.attendance_marked.disconnect(listener)


def test_a_rolled_back_check_in_is_never_announced(
    school_a, session_a, scope_a, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, record, **kwargs):
        heard.append(record)

    signals.attendance_marked.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    _mark(session_a, school_a.student)
                    raise RuntimeError("the outer transaction fails")
            except RuntimeError:
                pass
        assert heard == []
        assert AttendanceRecord.objects.count() == 0
    finally:
        signals.attendance_marked.disconnect(listener)


# ----------------------------------------------------------------------------- corrections


@pytest.fixture
def closed_record(school_a, session_a, clock, scope_a):
    """School A's student, marked absent when the session closed 45 minutes after opening."""
    clock.move_to(minutes_after_opening(45), tick=False)
    services.session_close(session=session_a, closed_by=school_a.teacher)
    return AttendanceRecord.objects.get(student=school_a.student)


def _set(record, actor, status="present", reason="Was at the dentist, came in at 10"):
    return services.attendance_set_status(
        record=record, status=status, reason=reason, actor=actor.user, source="manual"
    )


def test_a_teacher_corrects_their_class_while_the_session_is_open(school_a, session_a, scope_a):
    record, _ = _mark(session_a, school_a.student)
    record = _set(record, school_a.teacher, status="late", reason="")
    assert record.status == AttendanceStatus.LATE
    assert record.source == AttendanceSource.MANUAL


def test_a_teacher_corrects_within_the_correction_window(school_a, closed_record, clock):
    clock.move_to(minutes_after_opening(45) + timedelta(hours=24), tick=False)
    assert _set(closed_record, school_a.teacher).status == AttendanceStatus.PRESENT


def test_a_teacher_is_locked_out_after_the_correction_window(school_a, closed_record, clock):
    clock.move_to(minutes_after_opening(45) + timedelta(hours=24, seconds=1), tick=False)
    with pytest.raises(PermissionDenied, match="ask a school admin"):
        _set(closed_record, school_a.teacher)
    closed_record.refresh_from_db()
    assert closed_record.status == AttendanceStatus.ABSENT


def test_the_correction_window_is_the_schools_own_setting(school_a, closed_record, clock):
    school_a.organisation.correction_window_hours = 1
    school_a.organisation.save()
    clock.move_to(minutes_after_opening(45) + timedelta(hours=2), tick=False)
    with pytest.raises(PermissionDenied, match="more than 1 hour ago"):
        _set(closed_record, school_a.teacher)


def test_an_admin_corrects_a_session_closed_long_ago(school_a, closed_record, clock):
    clock.move_to(OPENED + timedelta(days=200), tick=False)
    assert _set(closed_record, school_a.admin).status == AttendanceStatus.PRESENT


def test_a_change_after_close_needs_a_reason(school_a, closed_record):
    with pytest.raises(DomainError, match="reason is needed") as refused:
        _set(closed_record, school_a.teacher, reason="  ")
    assert refused.value.field == "reason"


def test_a_teacher_of_another_class_cannot_correct(school_a, closed_record):
    stranger = TeacherAssignmentFactory(
        school_class=SchoolClassFactory(organisation=school_a.organisation)
    ).teacher
    with pytest.raises(PermissionDenied):
        _set(closed_record, stranger)


def test_a_school_b_admin_cannot_correct_a_school_a_record(school_a, school_b, closed_record):
    with pytest.raises(DomainError) as refused:
        _set(closed_record, school_b.admin)
    assert refused.value.code == "cross_organisation"


def test_an_excuse_keeps_its_reason_and_a_later_status_clears_it(school_a, closed_record):
    record = _set(closed_record, school_a.admin, status="excused", reason="Hospital appointment")
    assert record.excuse_reason == "Hospital appointment"
    record = _set(record, school_a.admin, status="absent", reason="The letter was forged")
    assert record.excuse_reason == ""


def test_an_unknown_status_is_refused(school_a, closed_record):
    with pytest.raises(DomainError, match="Choose present, late, absent or excused"):
        _set(closed_record, school_a.admin, status="asleep")


# ----------------------------------------------------------------------------- the session page


def test_a_teacher_marks_a_student_present_by_hand(school_a, session_a, client_for, clock):
    clock.move_to(minutes_after_opening(4), tick=False)
    response = client_for(school_a.teacher).post(
        f"/sessions/{session_a.public_id}/students/{school_a.student.public_id}/mark/",
        {"status": "present"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#student-{school_a.student.public_id}")
    with organisation_scope(school_a.organisation):
        record = AttendanceRecord.objects.get()
    assert (record.status, record.source) == ("present", "manual")
    assert record.first_seen_at == minutes_after_opening(4)
    assert record.marked_by == school_a.teacher


def test_a_tap_on_another_status_changes_the_mark(school_a, session_a, client_for):
    client = client_for(school_a.teacher)
    url = f"/sessions/{session_a.public_id}/students/{school_a.student.public_id}/mark/"
    client.post(url, {"status": "present"})
    client.post(url, {"status": "excused", "reason": "Sent home ill"})
    with organisation_scope(school_a.organisation):
        record = AttendanceRecord.objects.get()
    assert (record.status, record.excuse_reason) == ("excused", "Sent home ill")


def test_excused_without_a_reason_is_explained_on_the_session_page(school_a, session_a, client_for):
    response = client_for(school_a.teacher).post(
        f"/sessions/{session_a.public_id}/students/{school_a.student.public_id}/mark/",
        {"status": "excused"},
        follow=True,
    )
    assert "Say why the student is excused." in response.text
    with organisation_scope(school_a.organisation):
        assert AttendanceRecord.objects.count() == 0


def test_a_school_b_student_cannot_be_marked_in_a_school_a_session(
    school_a, school_b, session_a, client_for
):
    response = client_for(school_a.admin).post(
        f"/sessions/{session_a.public_id}/students/{school_b.student.public_id}/mark/",
        {"status": "present"},
    )
    assert response.status_code == 404

"""Opening and closing a session: one open session per class, absent for everyone not seen."""

from datetime import timedelta

import pytest
from django.db import IntegrityError

from accounts.errors import DomainError, PermissionDenied
from accounts.scoping import organisation_scope
from records import services, signals
from records.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    ClassSession,
    SessionStatus,
)
from tests.factories import (
    EnrollmentFactory,
    SchoolClassFactory,
    TeacherAssignmentFactory,
)
from tests.records.conftest import OPENED, minutes_after_opening


def test_a_teacher_opens_a_session_for_their_class(school_a, school_b, clock, scope_a):
    session, created = services.session_open(
        school_class=school_a.school_class, opened_by=school_a.teacher
    )
    assert created
    assert session.status == SessionStatus.OPEN
    assert session.opened_at == OPENED
    assert session.opened_by == school_a.teacher
    assert session.organisation == school_a.organisation


def test_opening_a_second_time_returns_the_session_already_open(school_a, session_a, scope_a):
    again, created = services.session_open(
        school_class=school_a.school_class, opened_by=school_a.admin
    )
    assert (again, created) == (session_a, False)
    assert ClassSession.objects.count() == 1


def test_the_database_allows_one_open_session_per_class(school_a, session_a, scope_a):
    with pytest.raises(IntegrityError):
        ClassSession.objects.create(
            organisation=school_a.organisation, school_class=school_a.school_class
        )


def test_a_closed_session_does_not_stop_the_next_one(school_a, session_a, scope_a):
    services.session_close(session=session_a, closed_by=school_a.teacher)
    session, created = services.session_open(
        school_class=school_a.school_class, opened_by=school_a.teacher
    )
    assert created
    assert session != session_a


def test_an_archived_class_cannot_open_a_session(school_a, scope_a):
    services.school_class_archive(school_class=school_a.school_class)
    with pytest.raises(DomainError, match="archived"):
        services.session_open(school_class=school_a.school_class, opened_by=school_a.admin)


def test_a_teacher_cannot_open_a_session_for_a_class_they_do_not_teach(school_a, scope_a):
    other = SchoolClassFactory(organisation=school_a.organisation)
    with pytest.raises(PermissionDenied):
        services.session_open(school_class=other, opened_by=school_a.teacher)


def test_a_school_b_admin_cannot_open_a_session_of_a_school_a_class(school_a, school_b, scope_a):
    with pytest.raises(DomainError) as refused:
        services.session_open(school_class=school_a.school_class, opened_by=school_b.admin)
    assert refused.value.code == "cross_organisation"


def test_closing_marks_everyone_not_seen_absent_and_keeps_the_others(
    school_a, session_a, clock, scope_a
):
    late_comer = EnrollmentFactory(school_class=school_a.school_class).student
    never_came = EnrollmentFactory(school_class=school_a.school_class).student
    clock.move_to(minutes_after_opening(3), tick=False)
    services.attendance_mark(
        session=session_a, student=school_a.student, source="face", actor=school_a.teacher.user
    )
    clock.move_to(minutes_after_opening(25), tick=False)
    services.attendance_mark(
        session=session_a, student=late_comer, source="manual", actor=school_a.teacher.user
    )
    clock.move_to(minutes_after_opening(45), tick=False)

    services.session_close(session=session_a, closed_by=school_a.teacher)

    session_a.refresh_from_db()
    assert session_a.status == SessionStatus.CLOSED
    assert session_a.closed_at == minutes_after_opening(45)
    statuses = {r.student: r.status for r in AttendanceRecord.objects.filter(session=session_a)}
    assert statuses == {
        school_a.student: AttendanceStatus.PRESENT,
        late_comer: AttendanceStatus.LATE,
        never_came: AttendanceStatus.ABSENT,
    }
    absent = AttendanceRecord.objects.get(student=never_came)
    assert absent.first_seen_at is None
    change = AttendanceChange.objects.get(record=absent)
    assert (change.old_status, change.new_status) == ("", AttendanceStatus.ABSENT)
    assert change.changed_by == school_a.teacher.user
    assert change.source == AttendanceSource.MANUAL


def test_closing_twice_changes_nothing(school_a, session_a, clock, scope_a):
    services.session_close(session=session_a, closed_by=school_a.teacher)
    clock.move_to(minutes_after_opening(90), tick=False)
    again = services.session_close(session=session_a, closed_by=school_a.admin)
    assert again.closed_at == OPENED
    assert AttendanceRecord.objects.count() == 1
    assert AttendanceChange.objects.count() == 1


def test_an_archived_student_is_not_marked_absent(school_a, session_a, scope_a):
    services.student_archive(student=school_a.student)
    services.session_close(session=session_a, closed_by=school_a.teacher)
    assert AttendanceRecord.objects.count() == 0


def test_a_teacher_of_another_class_cannot_close_the_session(school_a, session_a, scope_a):
    stranger = TeacherAssignmentFactory(
        school_class=SchoolClassFactory(organisation=school_a.organisation)
    ).teacher
    with pytest.raises(PermissionDenied):
        services.session_close(session=session_a, closed_by=stranger)
    session_a.refresh_from_db()
    assert session_a.status == SessionStatus.OPEN


def test_session_closed_is_announced_only_after_commit(
    school_a, session_a, scope_a, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, session, **kwargs):
        heard.append(session)

    signals.session_closed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.session_close(session=session_a, closed_by=school_a.teacher)
        assert heard == []
        for callback in callbacks:
            callback()
        assert heard == [session_a]
    finally:
        signals.session_closed.disconnect(listener)


# ----------------------------------------------------------------------------- pages


def test_the_class_page_starts_a_session_and_shows_the_session_page(
    school_a, school_b, clock, client_for
):
    client = client_for(school_a.teacher)
    class_page = client.get(f"/classes/{school_a.school_class.public_id}/")
    assert "Start session" in class_page.text
    response = client.post(f"/classes/{school_a.school_class.public_id}/sessions/start/")
    assert response.status_code == 302
    with organisation_scope(school_a.organisation):
        session = ClassSession.objects.get()
    assert response["Location"] == f"/sessions/{session.public_id}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert school_a.student.family_name in page.text
    assert "Not yet" in page.text
    assert "Close session" in page.text
    assert "Open session" in client.get(f"/classes/{school_a.school_class.public_id}/").text


def test_the_session_page_leaves_room_for_the_camera_panel(school_a, session_a, client_for):
    page = client_for(school_a.teacher).get(f"/sessions/{session_a.public_id}/")
    assert f'<section id="camera" data-session="{session_a.public_id}">' in page.text


def test_the_session_page_shows_times_in_the_schools_time_zone(
    school_a, school_b, clock, client_for
):
    school_a.organisation.timezone = "America/New_York"
    school_a.organisation.save()
    with organisation_scope(school_a.organisation):
        session, _ = services.session_open(
            school_class=school_a.school_class, opened_by=school_a.teacher
        )
    page = client_for(school_a.teacher).get(f"/sessions/{session.public_id}/")
    assert "Opened Mon 2 Mar 2026, 03:30" in page.text  # 08:30 in London is 03:30 in New York


def test_closing_from_the_page_marks_the_unseen_absent(school_a, session_a, client_for):
    client = client_for(school_a.teacher)
    response = client.post(f"/sessions/{session_a.public_id}/close/")
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_a.public_id}/")
    assert "Close session" not in page.text
    assert 'data-state="absent"' in page.text


def test_a_teacher_of_another_class_gets_404_for_the_session(school_a, session_a, client_for):
    stranger = TeacherAssignmentFactory(
        school_class=SchoolClassFactory(organisation=school_a.organisation)
    ).teacher
    assert client_for(stranger).get(f"/sessions/{session_a.public_id}/").status_code == 404


def test_school_b_admin_gets_404_for_a_school_a_session(school_a, school_b, session_a, client_for):
    client = client_for(school_b.admin)
    assert client.get(f"/sessions/{session_a.public_id}/").status_code == 404
    assert client.post(f"/sessions/{session_a.public_id}/close/").status_code == 404


def test_the_session_roster_takes_the_same_queries_for_3_or_30_students(
    school_a, session_a, client_for, django_assert_num_queries
):
    client = client_for(school_a.teacher)
    url = f"/sessions/{session_a.public_id}/"
    client.get(url)  # warm the session and the login

    def add_students(count):
        with organisation_scope(school_a.organisation):
            for _ in range(count):
                student = EnrollmentFactory(school_class=school_a.school_class).student
                services.attendance_mark(
                    session=session_a, student=student, source="face", actor=None
                )

    add_students(2)
    # session + user, membership, the session with its class and opener, students, records
    with django_assert_num_queries(6):
        assert client.get(url).text.count('data-state="present"') == 2
    add_students(27)
    with django_assert_num_queries(6):
        assert client.get(url).text.count('data-state="present"') == 29


def test_the_class_page_lists_its_sessions(school_a, school_b, session_a, client_for):
    page = client_for(school_a.admin).get(f"/classes/{school_a.school_class.public_id}/")
    assert f"/sessions/{session_a.public_id}/" in page.text


def test_after_the_correction_window_the_teacher_sees_no_mark_buttons_but_the_admin_does(
    school_a, session_a, clock, client_for
):
    with organisation_scope(school_a.organisation):
        services.session_close(session=session_a, closed_by=school_a.teacher)
    url = f"/sessions/{session_a.public_id}/"
    assert "/mark/" in client_for(school_a.teacher).get(url).text
    clock.move_to(OPENED + timedelta(hours=25), tick=False)
    teacher_page = client_for(school_a.teacher).get(url)
    assert "/mark/" not in teacher_page.text
    assert "ask a school admin" in teacher_page.text
    assert "/mark/" in client_for(school_a.admin).get(url).text

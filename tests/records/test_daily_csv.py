"""The seed tool's daily file: `Name,Roll,Time` of a class's check-ins on one school day,
times and day boundaries in the school's time zone, streamed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.scoping import organisation_scope
from records import services
from tests.factories import EnrollmentFactory, SchoolClassFactory, TeacherAssignmentFactory

AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in March: the school's day starts the day before


def _download(client, school_class, day=None):
    params = {"date": day} if day else {}
    response = client.get(f"/classes/{school_class.public_id}/export/daily.csv", params)
    body = b"".join(response.streaming_content).decode() if response.streaming else response.text
    return response, body.splitlines()


def _check_in(school, session, student, at):
    with organisation_scope(school.organisation):
        services.attendance_mark(session=session, student=student, source="face", actor=None, at=at)


@pytest.fixture
def auckland_a(school_a, school_b, time_machine):
    """School A in Auckland: a session opened at 08:00 school time on Tuesday 3 March 2026,
    which is still Monday 2 March in UTC."""
    school_a.organisation.timezone = "Pacific/Auckland"
    school_a.organisation.save()
    opened = datetime(2026, 3, 3, 8, 0, tzinfo=AUCKLAND)
    time_machine.move_to(opened, tick=False)
    with organisation_scope(school_a.organisation):
        session, _ = services.session_open(
            school_class=school_a.school_class, opened_by=school_a.teacher
        )
    return session, opened


def test_the_daily_csv_has_the_seed_columns_and_school_times(school_a, auckland_a, client_for):
    session, opened = auckland_a
    second = EnrollmentFactory(
        school_class=school_a.school_class, student__given_name="Ada", student__family_name="Lo"
    ).student
    _check_in(school_a, session, school_a.student, opened + timedelta(minutes=2, seconds=5))
    _check_in(school_a, session, second, opened + timedelta(minutes=31))

    response, lines = _download(client_for(school_a.teacher), school_a.school_class, "2026-03-03")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="attendance-' in response["Content-Disposition"]
    assert lines == [
        "Name,Roll,Time",
        f"{school_a.student.full_name},{school_a.student.student_number},08:02:05",
        f"Ada Lo,{second.student_number},08:31:00",
    ]


def test_the_day_is_the_schools_day_not_the_servers(school_a, auckland_a, client_for):
    session, opened = auckland_a
    _check_in(school_a, session, school_a.student, opened)
    client = client_for(school_a.teacher)
    assert len(_download(client, school_a.school_class, "2026-03-03")[1]) == 2
    assert _download(client, school_a.school_class, "2026-03-02")[1] == ["Name,Roll,Time"]


def test_without_a_date_it_is_today_in_the_school(school_a, auckland_a, client_for):
    session, opened = auckland_a
    _check_in(school_a, session, school_a.student, opened)
    assert len(_download(client_for(school_a.admin), school_a.school_class)[1]) == 2


def test_only_check_ins_of_this_class_are_in_it(school_a, school_b, auckland_a, client_for):
    session, opened = auckland_a
    no_show = EnrollmentFactory(school_class=school_a.school_class).student
    _check_in(school_a, session, school_a.student, opened)
    other_class = SchoolClassFactory(organisation=school_a.organisation)
    TeacherAssignmentFactory(school_class=other_class, teacher=school_a.teacher)
    elsewhere = EnrollmentFactory(school_class=other_class).student
    with organisation_scope(school_a.organisation):
        other_session, _ = services.session_open(
            school_class=other_class, opened_by=school_a.teacher
        )
        services.session_close(session=session, closed_by=school_a.teacher)  # no_show: absent
    _check_in(school_a, other_session, elsewhere, opened)
    with organisation_scope(school_b.organisation):
        session_b, _ = services.session_open(
            school_class=school_b.school_class, opened_by=school_b.admin
        )
    _check_in(school_b, session_b, school_b.student, opened)

    _, lines = _download(client_for(school_a.teacher), school_a.school_class, "2026-03-03")

    assert len(lines) == 2
    text = "\n".join(lines)
    assert school_a.student.student_number in text
    for absent in (no_show, elsewhere, school_b.student):
        assert absent.student_number not in text


def test_a_bad_date_is_refused_with_an_example(school_a, client_for):
    response = client_for(school_a.teacher).get(
        f"/classes/{school_a.school_class.public_id}/export/daily.csv", {"date": "03/03/2026"}
    )
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.text


def test_school_b_admin_gets_404_for_a_school_a_class_export(school_a, school_b, client_for):
    response = client_for(school_b.admin).get(
        f"/classes/{school_a.school_class.public_id}/export/daily.csv"
    )
    assert response.status_code == 404

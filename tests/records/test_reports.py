"""Reports on a fixed week of school A (school B's records lying around), their query counts,
their CSV exports, the date range rules, and marking from the student's page."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.errors import DomainError
from records import reports
from records.models import AttendanceChange, AttendanceRecord, SessionStatus
from tests.factories import (
    AttendanceRecordFactory,
    ClassSessionFactory,
    EnrollmentFactory,
    SchoolClassFactory,
)

LONDON = ZoneInfo("Europe/London")
MON, FRI = date(2026, 3, 2), date(2026, 3, 6)


def at(day, hour, minute=0, zone=LONDON):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def closed_session(school_class, opened_at, opened_by):
    return ClassSessionFactory(
        school_class=school_class,
        opened_by=opened_by,
        opened_at=opened_at,
        closed_at=opened_at + timedelta(hours=1),
        status=SessionStatus.CLOSED,
    )


def record(session, student, status):
    seen = session.opened_at if status in ("present", "late") else None
    return AttendanceRecordFactory(
        session=session,
        student=student,
        status=status,
        first_seen_at=seen,
        excuse_reason="Dentist" if status == "excused" else "",
    )


@pytest.fixture
def week(school_a, school_b):
    """7A (taught by teacher A): Sam, Ada Lovelace and Ben Okri over three mornings; 8B (not
    theirs): Cy, once. One 7A session the Friday before, and school B's own records."""
    org, teacher, admin = school_a.organisation, school_a.teacher, school_a.admin
    class_7a = school_a.school_class
    sam = school_a.student
    sam.given_name, sam.family_name = "Sam", "Adams"
    sam.save()
    ada = EnrollmentFactory(
        school_class=class_7a, student__given_name="Ada", student__family_name="Lovelace"
    ).student
    ben = EnrollmentFactory(
        school_class=class_7a, student__given_name="Ben", student__family_name="Okri"
    ).student
    class_8b = SchoolClassFactory(organisation=org, name="Alder School 8B")
    cy = EnrollmentFactory(school_class=class_8b, student__given_name="Cy").student

    before = closed_session(class_7a, at(MON - timedelta(days=3), 8, 30), teacher)
    record(before, sam, "absent")
    mon, tue, wed = (
        closed_session(class_7a, at(MON + timedelta(days=d), 8, 30), teacher) for d in range(3)
    )
    for session, statuses in (
        (mon, {sam: "present", ada: "present", ben: "absent"}),
        (tue, {sam: "late", ada: "present", ben: "absent"}),
        (wed, {sam: "absent", ada: "excused"}),  # Ben has no record on Wednesday
    ):
        for student, status in statuses.items():
            record(session, student, status)
    record(closed_session(class_8b, at(MON, 10), admin), cy, "present")

    b_session = closed_session(school_b.school_class, at(MON, 8, 30), school_b.admin)
    record(b_session, school_b.student, "absent")
    return {
        "org": org,
        "class_7a": class_7a,
        "class_8b": class_8b,
        "sam": sam,
        "ada": ada,
        "ben": ben,
        "cy": cy,
        "sessions": [mon, tue, wed],
    }


def read_csv(response):
    assert response.streaming, "exports stream"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


# ----------------------------------------------------------------------------- the numbers


def test_class_register_shows_each_student_by_session_with_totals_and_rate(
    week, in_school, django_assert_num_queries
):
    with in_school(week["org"]), django_assert_num_queries(3):
        register = reports.class_register(
            organisation=week["org"], school_class=week["class_7a"], start=MON, end=FRI
        )
    assert [s.pk for s in register.sessions] == [s.pk for s in week["sessions"]]
    grid = {row.student.given_name: row.cells for row in register.rows}
    assert grid == {
        "Sam": ["present", "late", "absent"],
        "Ada": ["present", "present", "excused"],
        "Ben": ["absent", "absent", ""],
    }
    rates = {row.student.given_name: row.totals.rate_percent for row in register.rows}
    assert rates == {"Sam": "66.7%", "Ada": "66.7%", "Ben": "0.0%"}
    assert register.totals == reports.Totals(present=3, late=1, absent=3, excused=1)
    assert register.session_rates == [66.7, 66.7, 0.0]


def test_class_register_takes_three_queries_however_many_students_and_sessions(
    week, in_school, django_assert_num_queries
):
    for n in range(10):
        student = EnrollmentFactory(school_class=week["class_7a"]).student
        session = closed_session(week["class_7a"], at(FRI, 8 + n % 8), None)
        record(session, student, "present")
    with in_school(week["org"]), django_assert_num_queries(3):
        register = reports.class_register(
            organisation=week["org"], school_class=week["class_7a"], start=MON, end=FRI
        )
    assert len(register.rows) == 13
    assert len(register.sessions) == 13


def test_school_summary_counts_by_day_and_by_class_in_two_queries(
    week, in_school, django_assert_num_queries
):
    with in_school(week["org"]), django_assert_num_queries(2):
        summary = reports.school_summary(organisation=week["org"], start=MON, end=FRI)
    by_day = {day: (t.present, t.late, t.absent, t.excused) for day, t in summary.by_day}
    assert by_day == {
        MON: (3, 0, 1, 0),  # 7A and 8B
        MON + timedelta(days=1): (1, 1, 1, 0),
        MON + timedelta(days=2): (0, 0, 1, 1),
    }
    by_class = {c.name: t.rate_percent for c, t in summary.by_class}
    assert by_class == {"Alder School 7A": "50.0%", "Alder School 8B": "100.0%"}
    assert summary.totals.recorded == 9  # school B's record and last Friday's are not counted


def test_a_teacher_summary_counts_only_the_classes_they_teach(
    week, school_a, in_school, client_for
):
    response = client_for(school_a.teacher).get(
        "/reports/school/", {"start": MON.isoformat(), "end": FRI.isoformat()}
    )
    assert response.status_code == 200
    summary = response.context["summary"]
    assert [c.name for c, _ in summary.by_class] == ["Alder School 7A"]
    assert summary.totals.recorded == 8


def test_student_history_has_totals_and_rate_by_class_and_day(
    week, in_school, django_assert_num_queries
):
    with in_school(week["org"]), django_assert_num_queries(2):
        history = reports.student_history(
            organisation=week["org"], student=week["sam"], start=MON - timedelta(days=7), end=FRI
        )
    assert history.totals == reports.Totals(present=1, late=1, absent=2, excused=0)
    assert history.totals.rate_percent == "50.0%"
    assert [day for day, _ in history.by_day] == [
        MON - timedelta(days=3),
        MON,
        MON + timedelta(days=1),
        MON + timedelta(days=2),
    ]


def test_a_school_day_is_a_day_in_the_school_time_zone(school_a, school_b, in_school):
    org = school_a.organisation
    org.timezone = "America/New_York"
    org.save()
    # 21:00 on Friday in New York is 02:00 on Saturday in UTC: still Friday's register.
    late_friday = closed_session(
        school_a.school_class, at(FRI, 21, zone=ZoneInfo("America/New_York")), school_a.teacher
    )
    record(late_friday, school_a.student, "present")
    with in_school(org):
        summary = reports.school_summary(organisation=org, start=FRI, end=FRI)
        saturday = reports.school_summary(
            organisation=org, start=FRI + timedelta(days=1), end=FRI + timedelta(days=1)
        )
    assert [(day, t.present) for day, t in summary.by_day] == [(FRI, 1)]
    assert saturday.by_day == []


def test_a_range_backwards_or_over_a_year_is_refused_with_a_message(school_a):
    with pytest.raises(DomainError, match="on or before"):
        reports.DateRange(school_a.organisation, FRI, MON)
    with pytest.raises(DomainError, match="at most 366 days"):
        reports.DateRange(school_a.organisation, MON, MON + timedelta(days=366))
    assert reports.DateRange(school_a.organisation, MON, MON + timedelta(days=365))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-03-06", "end": "2026-03-02"}, "on or before"),
        ({"start": "2025-01-01", "end": "2026-03-02"}, "at most 366 days"),
        ({"start": "02/03/2026"}, "YYYY-MM-DD"),
    ],
)
@pytest.mark.parametrize(
    "url", ["/reports/school/", "/reports/school/summary.csv", "/reports/school/records.csv"]
)
def test_bad_dates_are_a_400_with_a_message(school_a, client_for, url, query, message):
    response = client_for(school_a.admin).get(url, query)
    assert response.status_code == 400
    assert message in response.text


def test_without_dates_a_report_shows_the_last_30_school_days(week, school_a, client_for):
    response = client_for(school_a.admin).get(f"/reports/classes/{week['class_7a'].public_id}/")
    period = response.context["register"].period
    assert (period.end - period.start).days == 29


# ----------------------------------------------------------------------------- pages and charts


def test_the_register_page_hands_its_chart_data_to_a_script_file(week, school_a, client_for):
    response = client_for(school_a.teacher).get(
        f"/reports/classes/{week['class_7a'].public_id}/",
        {"start": "2026-03-02", "end": "2026-03-06"},
    )
    assert response.status_code == 200
    html = response.text
    assert '<script id="report-charts" type="application/json">' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/report_charts.js" in html
    assert response.context["charts"]["chart-rate-by-session"]["values"] == [66.7, 66.7, 0.0]
    # No inline JavaScript: every <script> either loads a file or carries JSON data.
    for tag in html.split("<script")[1:]:
        assert ' src="' in tag.split(">")[0] or 'type="application/json"' in tag.split(">")[0]


def test_a_teacher_gets_404_for_the_register_of_a_class_they_do_not_teach(
    week, school_a, client_for
):
    client = client_for(school_a.teacher)
    assert client.get(f"/reports/classes/{week['class_8b'].public_id}/").status_code == 404
    csv_url = f"/reports/classes/{week['class_8b'].public_id}/register.csv"
    assert client.get(csv_url).status_code == 404
    assert client.get(f"/reports/students/{week['cy'].public_id}/").status_code == 404


def test_school_b_admin_gets_404_for_school_a_reports(week, school_b, client_for):
    client = client_for(school_b.admin)
    for url in (
        f"/reports/classes/{week['class_7a'].public_id}/",
        f"/reports/classes/{week['class_7a'].public_id}/register.csv",
        f"/reports/students/{week['sam'].public_id}/",
        f"/reports/students/{week['sam'].public_id}/history.csv",
    ):
        assert client.get(url).status_code == 404, url
    rows = read_csv(client.get("/reports/school/records.csv", {"start": "2026-03-02"}))
    assert [row[3] for row in rows[1:]] == [school_b.student.student_number]


def test_the_register_page_query_count_does_not_grow_with_the_register(
    week, school_a, client_for, django_assert_max_num_queries
):
    client = client_for(school_a.admin)
    url = f"/reports/classes/{week['class_7a'].public_id}/"
    query = {"start": "2026-03-02", "end": "2026-03-06"}
    with django_assert_max_num_queries(12):
        client.get(url, query)
    for n in range(15):
        student = EnrollmentFactory(school_class=week["class_7a"]).student
        record(closed_session(week["class_7a"], at(FRI, 8, n), None), student, "late")
    with django_assert_max_num_queries(12):
        assert client.get(url, query).status_code == 200


# ----------------------------------------------------------------------------- CSV


def test_the_class_register_csv_has_a_column_per_session_and_the_totals(week, school_a, client_for):
    response = client_for(school_a.teacher).get(
        f"/reports/classes/{week['class_7a'].public_id}/register.csv",
        {"start": "2026-03-02", "end": "2026-03-06"},
    )
    assert response.status_code == 200
    assert (
        'filename="register-alder-school-7a-2026-03-02-2026-03-06.csv"'
        in (response["Content-Disposition"])
    )
    rows = read_csv(response)
    assert rows[0] == [
        "Student number",
        "Family name",
        "Given name",
        "2026-03-02 08:30",
        "2026-03-03 08:30",
        "2026-03-04 08:30",
        "present",
        "late",
        "absent",
        "excused",
        "Rate %",
    ]
    body = {row[2]: row[3:] for row in rows[1:]}
    assert body == {
        "Sam": ["present", "late", "absent", "1", "1", "1", "0", "66.7"],
        "Ada": ["present", "present", "excused", "2", "0", "0", "1", "66.7"],
        "Ben": ["absent", "absent", "", "0", "0", "2", "0", "0.0"],
    }


def test_the_records_csv_has_one_line_per_record_in_school_time(week, school_a, client_for):
    rows = read_csv(
        client_for(school_a.admin).get(
            "/reports/school/records.csv", {"start": "2026-03-02", "end": "2026-03-06"}
        )
    )
    assert rows[0] == reports.RECORD_HEADER
    assert len(rows) == 1 + 9
    assert rows[1][:3] == ["2026-03-02", "08:30", "Alder School 7A"]
    ada_wednesday = next(r for r in rows if r[5] == "Ada" and r[0] == "2026-03-04")
    assert ada_wednesday[6:9] == ["excused", "Dentist", "manual"]


def test_the_summary_csv_has_a_line_per_day_and_class(week, school_a, client_for):
    rows = read_csv(
        client_for(school_a.admin).get(
            "/reports/school/summary.csv", {"start": "2026-03-02", "end": "2026-03-06"}
        )
    )
    assert rows == [
        ["Date", "Class", "present", "late", "absent", "excused", "Rate %"],
        ["2026-03-02", "Alder School 7A", "2", "0", "1", "0", "66.7"],
        ["2026-03-02", "Alder School 8B", "1", "0", "0", "0", "100.0"],
        ["2026-03-03", "Alder School 7A", "1", "1", "1", "0", "66.7"],
        ["2026-03-04", "Alder School 7A", "0", "0", "1", "1", "0.0"],
    ]


def test_the_student_history_csv_lists_their_records(week, school_a, client_for):
    rows = read_csv(
        client_for(school_a.admin).get(
            f"/reports/students/{week['sam'].public_id}/history.csv",
            {"start": "2026-02-23", "end": "2026-03-06"},
        )
    )
    assert [(r[0], r[6]) for r in rows[1:]] == [
        ("2026-02-27", "absent"),
        ("2026-03-02", "present"),
        ("2026-03-03", "late"),
        ("2026-03-04", "absent"),
    ]


def test_a_csv_export_streams_from_the_database_in_chunks(week, in_school, monkeypatch):
    """Rows come from `.iterator(chunk_size=...)`, never from a list of the whole range."""
    monkeypatch.setattr(reports, "CHUNK", 2)
    with in_school(week["org"]):
        rows = reports.records_csv_rows(organisation=week["org"], start=MON, end=FRI)
        assert next(rows) == reports.RECORD_HEADER
        assert len(list(rows)) == 9
        register = reports.class_register_csv_rows(
            organisation=week["org"], school_class=week["class_7a"], start=MON, end=FRI
        )
        assert len(list(register)) == 4


# ----------------------------------------------------------------------------- the student's page


def test_the_student_page_shows_totals_and_rate(week, school_a, client_for):
    response = client_for(school_a.admin).get(f"/students/{week['sam'].public_id}/")
    totals = response.context["totals"]
    assert totals == reports.Totals(present=1, late=1, absent=2, excused=0)
    assert "50.0%" in response.text


def test_an_admin_sets_a_status_from_the_student_page_with_a_reason(
    week, school_a, client_for, in_school
):
    session = week["sessions"][2]
    client = client_for(school_a.admin)
    url = f"/students/{week['sam'].public_id}/sessions/{session.public_id}/mark/"
    refused = client.post(url, {"status": "excused", "reason": ""}, follow=True)
    assert "Say why" in refused.text
    response = client.post(url, {"status": "excused", "reason": "Doctor's note"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#session-{session.public_id}")
    with in_school(week["org"]):
        changed = AttendanceRecord.objects.get(session=session, student=week["sam"])
        assert (changed.status, changed.excuse_reason) == ("excused", "Doctor's note")
        change = AttendanceChange.objects.filter(record=changed).latest("changed_at")
        assert (change.old_status, change.new_status, change.changed_by) == (
            "absent",
            "excused",
            school_a.admin.user,
        )


def test_a_teacher_cannot_change_a_locked_session_from_the_student_page(
    week, school_a, client_for, in_school
):
    session = week["sessions"][0]  # closed on 2 March: long past the 24-hour window
    client = client_for(school_a.teacher)
    page = client.get(f"/students/{week['sam'].public_id}/")
    assert "Locked: ask a school admin." in page.text
    url = f"/students/{week['sam'].public_id}/sessions/{session.public_id}/mark/"
    response = client.post(url, {"status": "late", "reason": "Bus"})
    assert response.status_code == 403
    with in_school(week["org"]):
        assert AttendanceRecord.objects.get(session=session, student=week["sam"]).status == (
            "present"
        )


def test_a_teacher_corrects_their_class_from_the_student_page_within_the_window(
    week, school_a, client_for, in_school, time_machine
):
    session = week["sessions"][2]
    time_machine.move_to(session.closed_at + timedelta(hours=2), tick=False)
    url = f"/students/{week['ada'].public_id}/sessions/{session.public_id}/mark/"
    response = client_for(school_a.teacher).post(url, {"status": "present", "reason": "Was in"})
    assert response.status_code == 302
    with in_school(week["org"]):
        assert AttendanceRecord.objects.get(session=session, student=week["ada"]).status == (
            "present"
        )


def test_school_b_cannot_mark_a_school_a_student(week, school_b, client_for):
    session = week["sessions"][0]
    url = f"/students/{week['sam'].public_id}/sessions/{session.public_id}/mark/"
    assert client_for(school_b.admin).post(url, {"status": "late"}).status_code == 404


def test_the_report_index_lists_the_viewer_classes(week, school_a, client_for):
    response = client_for(school_a.teacher).get("/reports/")
    assert "Alder School 7A" in response.text
    assert "Alder School 8B" not in response.text

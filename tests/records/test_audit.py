"""Every change of a record writes an immutable audit row, whichever path it takes: the service,
the session page, the Django admin. Nobody, superusers included, can rewrite the trail."""

import re

import pytest

from accounts.errors import DomainError
from accounts.scoping import organisation_scope
from records import services
from records.models import AttendanceChange, AttendanceRecord
from tests.factories import EnrollmentFactory, SchoolClassFactory, TeacherAssignmentFactory
from tests.records.conftest import minutes_after_opening


def _staff(membership):
    membership.user.is_staff = True
    membership.user.is_superuser = True  # every model permission, still held to one school
    membership.user.save()
    return membership


def _trail(record):
    return [
        (c.old_status, c.new_status, c.source, c.changed_by, c.reason)
        for c in AttendanceChange.objects.filter(record=record).order_by("changed_at", "id")
    ]


@pytest.fixture
def marked(school_a, session_a, scope_a):
    """School A's student, seen by the camera three minutes into the session."""
    record, _ = services.attendance_mark(
        session=session_a,
        student=school_a.student,
        source="face",
        actor=school_a.teacher.user,
        at=minutes_after_opening(3),
    )
    return record


# ----------------------------------------------------------------------------- the service path


def test_the_first_mark_and_each_change_write_an_audit_row(school_a, marked, scope_a):
    teacher = school_a.teacher.user
    services.attendance_set_status(
        record=marked, status="excused", reason="Dentist", actor=teacher, source="manual"
    )
    services.attendance_set_status(
        record=marked, status="absent", reason="Wrong child", actor=teacher, source="manual"
    )
    assert _trail(marked) == [
        ("", "present", "face", teacher, ""),
        ("present", "excused", "manual", teacher, "Dentist"),
        ("excused", "absent", "manual", teacher, "Wrong child"),
    ]


def test_setting_the_status_a_record_already_has_writes_nothing(school_a, marked, scope_a):
    services.attendance_set_status(
        record=marked, status="present", reason="", actor=school_a.admin.user, source="manual"
    )
    assert len(_trail(marked)) == 1


def test_a_refused_change_leaves_no_audit_row(school_a, school_b, marked, scope_a):
    with pytest.raises(DomainError, match="another school"):
        services.attendance_set_status(
            record=marked, status="late", reason="", actor=school_b.admin.user, source="manual"
        )
    assert len(_trail(marked)) == 1
    marked.refresh_from_db()
    assert marked.status == "present"


# ----------------------------------------------------------------------------- immutability


def test_an_audit_row_cannot_be_saved_again_or_deleted(marked, scope_a):
    change = AttendanceChange.objects.get(record=marked)
    change.reason = "rewritten"
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()
    with pytest.raises(PermissionError):
        AttendanceChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(PermissionError):
        AttendanceChange.objects.filter(pk=change.pk).delete()
    assert AttendanceChange.objects.get(pk=change.pk).reason == ""


def test_audit_rows_go_only_with_the_student_they_describe(school_a, marked, scope_a):
    """Erasing a student (their right, or the school's retention) takes their trail too."""
    school_a.student.delete()
    assert AttendanceChange.objects.count() == 0


# ----------------------------------------------------------------------------- the page path


def test_a_mark_on_the_session_page_is_audited_with_its_author(school_a, session_a, client_for):
    client = client_for(school_a.teacher)
    url = f"/sessions/{session_a.public_id}/students/{school_a.student.public_id}/mark/"
    client.post(url, {"status": "present"})
    client.post(url, {"status": "late", "reason": "Came in at 9"})
    with organisation_scope(school_a.organisation):
        record = AttendanceRecord.objects.get()
        teacher = school_a.teacher.user
        assert _trail(record) == [
            ("", "present", "manual", teacher, ""),
            ("present", "late", "manual", teacher, "Came in at 9"),
        ]


def test_a_page_correction_after_close_without_a_reason_is_refused(school_a, session_a, client_for):
    client = client_for(school_a.teacher)
    client.post(f"/sessions/{session_a.public_id}/close/")
    response = client.post(
        f"/sessions/{session_a.public_id}/students/{school_a.student.public_id}/mark/",
        {"status": "present"},
        follow=True,
    )
    assert "a reason is needed" in response.text
    with organisation_scope(school_a.organisation):
        record = AttendanceRecord.objects.get()
        assert record.status == "absent"
        assert len(_trail(record)) == 1


# ----------------------------------------------------------------------------- the admin path


def _change_form_data(page_html, **fields):
    """The admin's hidden inline management fields as the page sent them, plus our fields."""
    hidden = dict(
        re.findall(r'<input type="hidden" name="(changes-[^"]+)" value="([^"]*)"', page_html)
    )
    return {**hidden, **fields}


def test_a_correction_in_the_admin_needs_a_reason(school_a, marked, client_for):
    client = client_for(_staff(school_a.admin))
    url = f"/admin/records/attendancerecord/{marked.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, _change_form_data(page.text, status="absent", reason=""))
    assert response.status_code == 200
    assert "This field is required." in response.text
    with organisation_scope(school_a.organisation):
        marked.refresh_from_db()
        assert marked.status == "present"
        assert len(_trail(marked)) == 1


def test_a_correction_in_the_admin_goes_through_the_service_and_is_audited(
    school_a, marked, client_for
):
    admin = _staff(school_a.admin)
    client = client_for(admin)
    url = f"/admin/records/attendancerecord/{marked.pk}/change/"
    page = client.get(url)
    response = client.post(
        url, _change_form_data(page.text, status="excused", reason="Parent's letter")
    )
    assert response.status_code == 302, response.text[:2000]
    with organisation_scope(school_a.organisation):
        marked.refresh_from_db()
        assert (marked.status, marked.source, marked.excuse_reason) == (
            "excused",
            "admin",
            "Parent's letter",
        )
        assert marked.marked_by == admin
        assert _trail(marked)[-1] == ("present", "excused", "admin", admin.user, "Parent's letter")


def test_the_admin_shows_the_audit_trail_on_the_record(school_a, marked, client_for):
    with organisation_scope(school_a.organisation):
        services.attendance_set_status(
            record=marked,
            status="late",
            reason="Bus was late",
            actor=school_a.admin.user,
            source="manual",
        )
    page = client_for(_staff(school_a.admin)).get(
        f"/admin/records/attendancerecord/{marked.pk}/change/"
    )
    assert "Bus was late" in page.text
    assert 'name="changes-0-reason"' not in page.text  # shown, not editable


def test_the_admin_cannot_add_or_delete_records(school_a, marked, client_for):
    client = client_for(_staff(school_a.admin))
    assert client.get("/admin/records/attendancerecord/add/").status_code == 403
    delete = f"/admin/records/attendancerecord/{marked.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("who", ["school staff", "superuser without a school"])
def test_nobody_can_change_or_delete_an_audit_row_in_the_admin(
    who, school_a, school_b, marked, client_for, django_user_model
):
    if who == "school staff":
        client = client_for(_staff(school_a.admin))
    else:
        client = client_for(None)
        client.force_login(django_user_model.objects.create_superuser("root", password="x-pass-1"))
    with organisation_scope(school_a.organisation):
        change = AttendanceChange.objects.get(record=marked)
    base = f"/admin/records/attendancechange/{change.pk}"
    listing = client.get("/admin/records/attendancechange/")
    assert listing.status_code == 200
    assert school_a.student.family_name in listing.text
    view = client.get(f"{base}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.text
    assert client.post(f"{base}/change/", {"reason": "rewritten"}).status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/records/attendancechange/add/").status_code == 403
    with organisation_scope(school_a.organisation):
        assert AttendanceChange.objects.get(pk=change.pk).reason == ""


def test_the_admin_list_filters_by_status_and_finds_a_student_by_number(
    school_a, school_b, marked, client_for
):
    with organisation_scope(school_b.organisation):
        session_b, _ = services.session_open(
            school_class=school_b.school_class, opened_by=school_b.admin
        )
        services.attendance_mark(
            session=session_b, student=school_b.student, source="face", actor=None
        )
    client = client_for(_staff(school_a.admin))
    listing = client.get("/admin/records/attendancerecord/")
    assert school_a.student.family_name in listing.text
    assert school_b.student.family_name not in listing.text
    assert school_b.school_class.name not in listing.text  # not even among the class filters
    present = client.get("/admin/records/attendancerecord/", {"status__exact": "present"})
    assert school_a.student.family_name in present.text
    absent = client.get("/admin/records/attendancerecord/", {"status__exact": "absent"})
    assert school_a.student.family_name not in absent.text
    found = client.get("/admin/records/attendancerecord/", {"q": school_a.student.student_number})
    assert school_a.student.family_name in found.text
    by_source = client.get("/admin/records/attendancerecord/", {"source__exact": "manual"})
    assert school_a.student.family_name not in by_source.text


def test_school_b_staff_cannot_open_a_school_a_record_in_the_admin(
    school_a, school_b, marked, client_for
):
    client = client_for(_staff(school_b.admin))
    response = client.get(f"/admin/records/attendancerecord/{marked.pk}/change/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_students_page_shows_their_records_with_the_trail(
    school_a, school_b, marked, client_for, django_assert_max_num_queries
):
    with organisation_scope(school_a.organisation):
        services.attendance_set_status(
            record=marked,
            status="late",
            reason="Signed in at the office",
            actor=school_a.admin.user,
            source="manual",
        )
    client = client_for(school_a.teacher)
    client.get("/")
    # session, user, membership, student, classes, records, their changes: not one per row
    with django_assert_max_num_queries(7):
        page = client.get(f"/students/{school_a.student.public_id}/")
    assert "Signed in at the office" in page.text
    assert "present → late" in page.text


def test_a_teacher_sees_no_records_of_classes_they_do_not_teach(school_a, marked, client_for):
    other_class = SchoolClassFactory(organisation=school_a.organisation)
    teacher = TeacherAssignmentFactory(school_class=other_class).teacher
    EnrollmentFactory(school_class=other_class, student=school_a.student)
    page = client_for(teacher).get(f"/students/{school_a.student.public_id}/")
    assert page.status_code == 200
    assert "No attendance recorded yet." in page.text

"""What a school admin and a teacher can do through the pages."""

from accounts.models import Membership
from records.models import Enrollment, SchoolClass, Student
from tests.factories import SchoolClassFactory


def test_admin_creates_a_class_a_student_and_enrols_them(school_a, school_b, client_for, in_school):
    client = client_for(school_a.admin)
    response = client.post("/classes/new/", {"name": "8B"})
    assert response.status_code == 302
    response = client.post(
        "/students/new/", {"given_name": "Ada", "family_name": "Lovelace", "student_number": "42"}
    )
    assert response.status_code == 302
    with in_school(school_a.organisation):
        school_class = SchoolClass.objects.get(name="8B")
        student = Student.objects.get(student_number="42")
    response = client.post(
        f"/classes/{school_class.public_id}/enrol/", {"student": str(student.public_id)}
    )
    assert response.status_code == 302
    with in_school(school_a.organisation):
        assert Enrollment.objects.filter(school_class=school_class, student=student).exists()


def test_a_duplicate_student_number_shows_a_form_error_and_saves_nothing(
    school_a, school_b, client_for, in_school
):
    response = client_for(school_a.admin).post(
        "/students/new/",
        {
            "given_name": "Ada",
            "family_name": "L",
            "student_number": school_a.student.student_number,
        },
    )
    assert response.status_code == 400
    assert "Another student of this school has that student number." in response.text
    with in_school(school_a.organisation):
        assert Student.objects.count() == 1


def test_an_over_long_name_is_a_form_error(school_a, client_for):
    response = client_for(school_a.admin).post(
        "/students/new/", {"given_name": "A" * 200, "family_name": "L", "student_number": "9"}
    )
    assert response.status_code == 400
    assert "at most 80 characters" in response.text


def test_enrolling_a_school_b_student_is_refused(school_a, school_b, client_for, in_school):
    response = client_for(school_a.admin).post(
        f"/classes/{school_a.school_class.public_id}/enrol/",
        {"student": str(school_b.student.public_id)},
    )
    assert response.status_code == 400
    with in_school(school_b.organisation):
        assert Enrollment.objects.filter(student=school_b.student).count() == 1


def test_assigning_a_school_b_admin_as_teacher_is_refused(school_a, school_b, client_for):
    response = client_for(school_a.admin).post(
        f"/classes/{school_a.school_class.public_id}/teachers/",
        {"teacher": str(school_b.admin.user.public_id)},
    )
    assert response.status_code == 400


def test_a_teacher_sees_only_their_own_classes_and_students(school_a, school_b, client_for):
    other_class = SchoolClassFactory(organisation=school_a.organisation, name="Not theirs")
    client = client_for(school_a.teacher)
    dashboard = client.get("/")
    assert school_a.school_class.name in dashboard.text
    assert other_class.name not in dashboard.text
    assert client.get(f"/classes/{other_class.public_id}/").status_code == 404
    students = client.get("/students/")
    # By public id: random names of the two schools' students may be the same.
    assert str(school_a.student.public_id) in students.text
    assert str(school_b.student.public_id) not in students.text


def test_school_b_admin_gets_404_for_a_school_a_class(school_a, school_b, client_for):
    response = client_for(school_b.admin).get(f"/classes/{school_a.school_class.public_id}/")
    assert response.status_code == 404


def test_admin_adds_a_teacher_who_can_then_log_in(school_a, school_b, client_for, client):
    response = client_for(school_a.admin).post(
        "/teachers/new/",
        {"first_name": "Tom", "last_name": "T", "username": "tom", "password": "a-long-passphrase"},
    )
    assert response.status_code == 302
    assert client.login(username="tom", password="a-long-passphrase")
    assert (
        Membership.objects.with_scope(organisation=school_a.organisation.pk)
        .filter(user__username="tom", role="teacher")
        .exists()
    )


def test_a_taken_username_is_a_form_error(school_a, client_for):
    response = client_for(school_a.admin).post(
        "/teachers/new/",
        {
            "first_name": "T",
            "last_name": "T",
            "username": school_a.teacher.user.username,
            "password": "a-long-passphrase",
        },
    )
    assert response.status_code == 409
    assert "That username is taken" in response.text


def test_student_list_is_paginated_and_searchable(school_a, client_for):
    from tests.factories import StudentFactory

    StudentFactory.create_batch(60, organisation=school_a.organisation)
    client = client_for(school_a.admin)
    first = client.get("/students/")
    assert "Page 1 of 2" in first.text
    found = client.get("/students/", {"q": school_a.student.student_number})
    assert school_a.student.family_name in found.text
    assert "Page 1 of" not in found.text

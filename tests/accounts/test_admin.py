"""The Django admin holds staff inside their own school; a superuser sees every school, named."""

from accounts.models import Membership, Organisation


def _staff(membership):
    membership.user.is_staff = True
    membership.user.is_superuser = True  # every model permission, still held to one school
    membership.user.save()
    return membership


def test_staff_of_school_a_see_only_school_a_students(school_a, school_b, client_for):
    client = client_for(_staff(school_a.admin))
    response = client.get("/admin/records/student/")
    assert response.status_code == 200
    assert school_a.student.family_name in response.text
    assert school_b.student.family_name not in response.text


def test_staff_of_school_a_get_404_for_a_school_b_student(school_a, school_b, client_for):
    client = client_for(_staff(school_a.admin))
    response = client.get(f"/admin/records/student/{school_b.student.pk}/change/")
    assert response.status_code == 302  # the admin redirects "does not exist" to its index
    assert response["Location"] == "/admin/"


def test_staff_see_only_their_own_organisation(school_a, school_b, client_for):
    client = client_for(_staff(school_a.admin))
    response = client.get("/admin/accounts/organisation/")
    assert school_a.organisation.name in response.text
    assert school_b.organisation.name not in response.text


def test_a_superuser_without_a_school_sees_every_school_with_its_name(
    school_a, school_b, client, django_user_model
):
    root = django_user_model.objects.create_superuser("root", password="x-long-password")
    client.force_login(root)
    response = client.get("/admin/records/student/")
    assert response.status_code == 200
    assert school_a.student.family_name in response.text
    assert school_b.student.family_name in response.text
    assert school_b.organisation.name in response.text


def test_staff_adding_a_student_in_the_admin_always_add_to_their_own_school(
    school_a, school_b, client_for
):
    client = client_for(_staff(school_a.admin))
    response = client.post(
        "/admin/records/student/add/",
        {
            "given_name": "Eve",
            "family_name": "Intruder",
            "student_number": "X1",
            "external_id": "",
            "organisation": school_b.organisation.pk,
        },
    )
    assert response.status_code == 302
    membership_scope = Membership.objects.with_scope(organisation=school_a.organisation.pk)
    assert membership_scope.exists()
    assert Organisation.objects.get(students__student_number="X1") == school_a.organisation


def test_a_school_admin_with_staff_access_corrects_settings_of_their_school_only(
    school_a, school_b, client_for
):
    from accounts.staff import school_staff_grant

    school_staff_grant(membership=school_a.admin)
    client = client_for(school_a.admin)
    url = f"/admin/accounts/organisation/{school_a.organisation.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "accept_threshold" in page.text
    other = client.get(f"/admin/accounts/organisation/{school_b.organisation.pk}/change/")
    assert other.status_code == 302  # the admin's "does not exist" for another school's row
    students = client.get("/admin/records/student/")
    assert school_a.student.family_name in students.text
    assert school_b.student.family_name not in students.text


def test_staff_access_is_only_for_school_admins(school_a, school_b):
    import pytest

    from accounts.errors import DomainError
    from accounts.staff import school_staff_grant

    with pytest.raises(DomainError):
        school_staff_grant(membership=school_a.teacher)

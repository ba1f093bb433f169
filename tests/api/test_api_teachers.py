"""Teachers through the API: update, archive, upsert by the SIS's own id."""

from django.test import Client

from accounts.scoping import organisation_scope
from records.models import TeacherAssignment, TeacherExternalId
from tests.factories import PASSWORD


def test_patch_changes_names_and_email_only(api, school_a):
    url = f"/api/v1/teachers/{school_a.teacher.user.public_id}/"
    response = api.patch(
        url, {"given_name": " Grace ", "email": "g@school.example"}, "application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["given_name"] == "Grace"
    assert response.json()["email"] == "g@school.example"
    school_a.teacher.user.refresh_from_db()
    assert school_a.teacher.user.first_name == "Grace"
    refused = api.patch(url, {"username": "other"}, "application/json")
    assert refused.status_code == 400
    assert "username" in refused.json()["error"]["fields"]


def test_an_admin_is_not_a_teacher_of_the_api(api, school_a):
    response = api.patch(
        f"/api/v1/teachers/{school_a.admin.user.public_id}/",
        {"given_name": "X"},
        "application/json",
    )
    assert response.status_code == 404


def test_archive_ends_the_login_and_every_class(api, school_a, client_for):
    teacher = school_a.teacher
    browser = client_for(teacher)
    assert browser.get("/classes/").status_code == 200
    response = api.post(f"/api/v1/teachers/{teacher.user.public_id}/archive/")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    with organisation_scope(school_a.organisation):
        assert not TeacherAssignment.objects.filter(teacher=teacher).exists()
    assert browser.get("/classes/").status_code == 302  # logged out: inactive users are refused
    assert not Client().login(username=teacher.user.username, password=PASSWORD)
    listed = api.get("/api/v1/teachers/").json()["results"]
    assert str(teacher.user.public_id) not in {t["id"] for t in listed}
    archived = api.get("/api/v1/teachers/?include_archived=true").json()["results"]
    assert str(teacher.user.public_id) in {t["id"] for t in archived}


def test_upsert_creates_then_updates_by_external_id(api, school_a, school_b):
    url = "/api/v1/teachers/by-external-id/sis-t-1/"
    body = {"username": "ghopper", "given_name": "Grace", "family_name": "Hopper"}
    created = api.put(url, body, "application/json")
    assert created.status_code == 201, created.content
    assert created.json()["external_id"] == "sis-t-1"
    updated = api.put(url, {**body, "family_name": "Murray Hopper"}, "application/json")
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated.json()["family_name"] == "Murray Hopper"
    renamed = api.put(url, {**body, "username": "someone-else"}, "application/json")
    assert renamed.status_code == 409
    found = api.get("/api/v1/teachers/?external_id=sis-t-1").json()["results"]
    assert [t["id"] for t in found] == [created.json()["id"]]
    with organisation_scope(school_a.organisation):
        link = TeacherExternalId.objects.get()
    assert link.teacher.user.has_usable_password() is False  # an admin sets it


def test_upsert_adopts_a_teacher_made_by_hand(api, school_a):
    teacher = school_a.teacher
    response = api.put(
        "/api/v1/teachers/by-external-id/sis-t-9/",
        {"username": teacher.user.username, "given_name": "Ada", "family_name": "L"},
        "application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(teacher.user.public_id)
    assert response.json()["external_id"] == "sis-t-9"


def test_upsert_of_a_username_of_another_school_is_a_conflict(api, school_a, school_b, key_b):
    body = {"username": "shared-name", "given_name": "A", "family_name": "B"}
    assert (
        key_b.client()
        .put("/api/v1/teachers/by-external-id/x/", body, "application/json")
        .status_code
        == 201
    )
    response = api.put("/api/v1/teachers/by-external-id/x/", body, "application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_teacher_list_takes_a_bounded_number_of_queries(
    api, school_a, django_assert_max_num_queries
):
    for n in range(5):
        api.put(
            f"/api/v1/teachers/by-external-id/t{n}/",
            {"username": f"t{n}", "given_name": "T", "family_name": str(n)},
            "application/json",
        )
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/teachers/").json()["results"]) == 6

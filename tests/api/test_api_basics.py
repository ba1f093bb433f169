import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiKey
from records import services
from records.models import AttendanceSource, AttendanceStatus
from tests.factories import (
    AttendanceRecordFactory,
    ClassSessionFactory,
    EnrollmentFactory,
    StudentFactory,
)

BASE = "/api/v1"


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    text = (tmp_path / "s.yml").read_text()
    for path in ["/api/v1/students/", "/api/v1/attendance/", "/api/v1/attendance-events.csv"]:
        assert path in text
    assert "bearerFormat" in text


def test_docs_are_served_from_local_static_files(key_a, school_a, client_for):
    response = client_for(school_a.admin).get(f"{BASE}/docs/")
    assert response.status_code == 200
    assert "cdn" not in response.text.lower()
    assert "drf_spectacular_sidecar" in response.text


# ----------------------------------------------------------------------------- key lifecycle


def test_key_lifecycle_created_used_revoked(key_a):
    api_key = key_a.api_key
    assert key_a.plaintext.startswith("sk_live_")
    assert api_key.prefix == key_a.plaintext[:16]
    assert api_key.last_used_at is None
    assert key_a.client().get(f"{BASE}/students/").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    from accounts.scoping import organisation_scope
    from accounts.services import api_key_revoke

    with organisation_scope(api_key.organisation):
        api_key_revoke(api_key=api_key)
    response = key_a.client().get(f"{BASE}/students/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert "revoked" in error_of(response)["message"]


def test_the_plaintext_is_never_stored(key_a):
    secret = key_a.plaintext.split("_", 3)[3]
    row = ApiKey._base_manager.filter(pk=key_a.api_key.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert all(key_a.plaintext not in str(value) for value in row.values())


def test_last_use_is_written_at_most_once_a_minute(key_a):
    client = key_a.client()
    client.get(f"{BASE}/students/")
    key_a.api_key.refresh_from_db()
    first = key_a.api_key.last_used_at
    client.get(f"{BASE}/students/")
    key_a.api_key.refresh_from_db()
    assert key_a.api_key.last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        client.get(f"{BASE}/students/")
    key_a.api_key.refresh_from_db()
    assert key_a.api_key.last_used_at > first


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer sk_live_aaaaaaaa_" + "x" * 43, "Bearer a b"]
)
def test_unknown_or_malformed_keys_get_401(header, school_a, client):
    response = client.get(f"{BASE}/students/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    error_of(response)


def test_anonymous_gets_401(client, school_a):
    assert client.get(f"{BASE}/students/").status_code == 401


# ----------------------------------------------------------------------------- tenancy


def test_a_key_sees_only_its_school(api, school_a, school_b):
    ids = {row["id"] for row in api.get(f"{BASE}/students/").json()["results"]}
    assert ids == {str(school_a.student.public_id)}
    response = api.get(f"{BASE}/students/{school_b.student.public_id}/")
    unknown = api.get(f"{BASE}/students/{uuid.uuid4()}/")
    assert response.status_code == unknown.status_code == 404
    assert response.json() == unknown.json()


def test_another_schools_ids_in_a_payload_are_a_400_never_a_link(api, school_a, school_b):
    response = api.post(
        f"{BASE}/enrollments/",
        {
            "class_id": str(school_a.school_class.public_id),
            "student_id": str(school_b.student.public_id),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "student_id" in error_of(response)["fields"]
    with pytest.raises(Exception):  # noqa: B017, PT011
        school_b.student.enrollments.get(school_class=school_a.school_class)


def test_a_read_key_gets_403_on_writes(read_key_a, school_a):
    client = read_key_a.client()
    assert client.get(f"{BASE}/students/").status_code == 200
    response = client.post(
        f"{BASE}/students/",
        {"given_name": "A", "family_name": "B", "student_number": "N1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "read-only" in error_of(response)["message"]


# ----------------------------------------------------------------------------- input


def test_unknown_fields_and_wrong_types_are_refused(api, school_a):
    response = api.post(
        f"{BASE}/students/",
        {"given_name": "A", "family_name": "B", "student_number": "N1", "nickname": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert (
        error_of(response)["fields"] == {"nickname": [pytest.approx(str)]}
        or "nickname" in (error_of(response)["fields"])
    )
    response = api.post(
        f"{BASE}/students/",
        {"given_name": ["A"], "family_name": "B", "student_number": "N1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "given_name" in error_of(response)["fields"]


@pytest.mark.parametrize(
    "query",
    [
        "status=sleeping",
        "date_from=yesterday",
        "colour=red",
        "page_size=0",
        "cursor=%%%",
        "date_from=2026-05-02&date_to=2026-05-01",
        "updated_since=soon",
    ],
)
def test_bad_filters_are_a_400_with_a_message(api, school_a, query):
    response = api.get(f"{BASE}/attendance/?{query}")
    assert response.status_code == 400
    assert error_of(response)["message"]


def test_domain_errors_keep_their_status_and_code(api, school_a):
    payload = {
        "given_name": "A",
        "family_name": "B",
        "student_number": school_a.student.student_number,
    }
    response = api.post(f"{BASE}/students/", payload, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == {"student_number": [error["message"]]}


def test_upsert_by_external_id_creates_then_updates(api, school_a, school_b):
    url = f"{BASE}/students/by-external-id/sis-42/"
    body = {"given_name": "Ada", "family_name": "Lovelace", "student_number": "N42"}
    created = api.put(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    updated = api.put(url, {**body, "given_name": "Augusta"}, content_type="application/json")
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated.json()["given_name"] == "Augusta"
    assert updated.json()["external_id"] == "sis-42"


def test_classes_upsert_and_archive(api, school_a):
    created = api.put(
        f"{BASE}/classes/by-external-id/sec-1/", {"name": "8B"}, content_type="application/json"
    )
    assert created.status_code == 201
    archived = api.post(f"{BASE}/classes/{created.json()['id']}/archive/")
    assert archived.status_code == 200
    assert archived.json()["archived_at"]


# ----------------------------------------------------------------------------- sessions, records


def test_sessions_open_close_and_status_change_are_audited_with_source_api(api, school_a):
    opened = api.post(
        f"{BASE}/sessions/",
        {"class_id": str(school_a.school_class.public_id)},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    again = api.post(
        f"{BASE}/sessions/",
        {"class_id": str(school_a.school_class.public_id)},
        content_type="application/json",
    )
    assert again.status_code == 200
    session_id = opened.json()["id"]
    closed = api.post(f"{BASE}/sessions/{session_id}/close/")
    assert closed.json()["status"] == "closed"
    records = api.get(f"{BASE}/attendance/?status=absent").json()["results"]
    assert [r["student_id"] for r in records] == [str(school_a.student.public_id)]
    record_id = records[0]["id"]
    refused = api.post(
        f"{BASE}/attendance/{record_id}/status/",
        {"status": "excused"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "reason" in error_of(refused)["fields"]
    changed = api.post(
        f"{BASE}/attendance/{record_id}/status/",
        {"status": "excused", "reason": "Dentist"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["source"] == "api"
    assert changed.json()["status"] == "excused"


def test_attendance_filters(api, school_a, school_b, in_school):
    session = ClassSessionFactory(school_class=school_a.school_class, opened_by=school_a.admin)
    late = AttendanceRecordFactory(session=session, student=school_a.student, status="late")
    other = EnrollmentFactory(school_class=school_a.school_class).student
    AttendanceRecordFactory(session=session, student=other, status="present", source="face")
    AttendanceRecordFactory(
        session=ClassSessionFactory(school_class=school_b.school_class), student=school_b.student
    )

    def ids(query):
        response = api.get(f"{BASE}/attendance/?{query}")
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids("status=late") == [str(late.public_id)]
    assert ids(f"student_id={school_a.student.public_id}") == [str(late.public_id)]
    assert len(ids(f"class_id={school_a.school_class.public_id}")) == 2
    assert ids(f"class_id={school_b.school_class.public_id}") == []
    assert len(ids("source=face")) == 1
    today = timezone.localdate()
    assert (
        len(ids(f"date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=1)}")) == 2
    )
    assert ids(f"date_to={today - timedelta(days=3)}") == []
    assert ids("updated_since=2999-01-01T00:00:00Z") == []


def test_the_cursor_is_stable_under_inserts(api, school_a):
    session = ClassSessionFactory(school_class=school_a.school_class, opened_by=school_a.admin)
    for _ in range(5):
        AttendanceRecordFactory(
            session=session, student=StudentFactory(organisation=school_a.organisation)
        )
    first = api.get(f"{BASE}/attendance/?page_size=2").json()
    seen = [r["id"] for r in first["results"]]
    # A write between pages goes to the end; it neither shifts nor repeats a page.
    late = AttendanceRecordFactory(
        session=session, student=StudentFactory(organisation=school_a.organisation)
    )
    url = first["next"]
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 6
    assert seen[-1] == str(late.public_id)
    assert api.get(page["poll"]).json()["results"] == []


def test_lists_take_a_bounded_number_of_queries(api, school_a, django_assert_max_num_queries):
    session = ClassSessionFactory(school_class=school_a.school_class, opened_by=school_a.admin)
    for _ in range(20):
        AttendanceRecordFactory(
            session=session, student=StudentFactory(organisation=school_a.organisation)
        )
    with django_assert_max_num_queries(6):
        assert len(api.get(f"{BASE}/attendance/").json()["results"]) == 20


def test_edfi_events_map_statuses_with_school_overrides(api, school_a):
    session = ClassSessionFactory(school_class=school_a.school_class, opened_by=school_a.admin)
    for status in AttendanceStatus.values:
        AttendanceRecordFactory(
            session=session,
            student=StudentFactory(organisation=school_a.organisation),
            status=status,
        )
    categories = {
        e["status"]: e["attendance_event_category"]
        for e in api.get(f"{BASE}/attendance-events/").json()["results"]
    }
    assert categories == {
        "present": "In Attendance",
        "late": "Tardy",
        "absent": "Unexcused Absence",
        "excused": "Excused Absence",
    }
    school_a.organisation.edfi_category_overrides = {"late": "In Attendance", "absent": "Nope"}
    school_a.organisation.save()
    events = api.get(f"{BASE}/attendance-events/").json()["results"]
    categories = {e["status"]: e["attendance_event_category"] for e in events}
    assert categories["late"] == "In Attendance"
    assert categories["absent"] == "Unexcused Absence"
    csv_response = api.get(f"{BASE}/attendance-events.csv?status=late")
    assert csv_response.status_code == 200
    lines = b"".join(csv_response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,student_unique_id")
    assert len(lines) == 2
    assert "AttendanceEventCategoryDescriptor#In Attendance" in lines[1]


def test_throttling_gives_429_with_retry_after(api, school_a, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    codes = [api.get(f"{BASE}/organisation/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get(f"{BASE}/organisation/")
    assert int(response["Retry-After"]) >= 1
    assert error_of(response)["code"] == "throttled"


def test_browser_sessions_of_admins_may_use_the_api_with_csrf(school_a, client_for):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(school_a.admin.user)
    assert client.get(f"{BASE}/students/").status_code == 200
    response = client.post(
        f"{BASE}/students/",
        {"given_name": "A", "family_name": "B", "student_number": "N9"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    assert client_for(school_a.teacher).get(f"{BASE}/students/").status_code == 403


def test_the_organisation_settings(api, school_a):
    body = api.get(f"{BASE}/organisation/").json()
    assert body["id"] == str(school_a.organisation.public_id)
    assert "pk" not in body


def test_services_mark_source_api_is_allowed_without_actor(school_a, in_school):
    with in_school(school_a.organisation):
        session, _ = services.session_open(
            school_class=school_a.school_class, opened_by=school_a.admin
        )
        _record, created = services.attendance_mark(
            session=session, student=school_a.student, source=AttendanceSource.API, actor=None
        )
    assert created

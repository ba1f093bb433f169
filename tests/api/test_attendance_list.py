"""GET /api/v1/attendance/, the list a student information system polls: rows written without a
ModelSerializer (records/api/attendance.py says why) must read exactly as the records do."""

from datetime import UTC, datetime, timedelta

from accounts.api import CREATOR_GONE
from accounts.models import Role
from records.attendance_list import attendance_page_query
from records.models import AttendanceSource, AttendanceStatus
from tests.factories import AttendanceRecordFactory, ClassSessionFactory, StudentFactory

BASE = "/api/v1"


def _records(school, count):
    session = ClassSessionFactory(school_class=school.school_class, opened_by=school.admin)
    return [
        AttendanceRecordFactory(
            session=session, student=StudentFactory(organisation=school.organisation)
        )
        for _ in range(count)
    ]


def test_each_listed_record_reads_as_its_own_page_does(api, school_a, school_b):
    session = ClassSessionFactory(school_class=school_a.school_class, opened_by=school_a.admin)
    opened = datetime(2026, 9, 14, 8, 0, 0, 123456, tzinfo=UTC)
    kinds = [
        {"status": AttendanceStatus.LATE, "source": AttendanceSource.FACE},
        {"status": AttendanceStatus.ABSENT, "first_seen_at": None},
        {"status": AttendanceStatus.EXCUSED, "excuse_reason": "Dentist (note from parent)"},
        # Another zone on the way in; the API answers in UTC whatever the database was given.
        {"first_seen_at": datetime(2026, 9, 14, 10, 5, tzinfo=UTC) + timedelta(hours=2)},
        {"first_seen_at": opened},
        {"first_seen_at": opened.replace(microsecond=120000)},
    ]
    for kind in kinds:
        AttendanceRecordFactory(
            session=session, student=StudentFactory(organisation=school_a.organisation), **kind
        )
    AttendanceRecordFactory(
        session=ClassSessionFactory(school_class=school_b.school_class), student=school_b.student
    )

    listed = api.get(f"{BASE}/attendance/").json()["results"]

    assert len(listed) == len(kinds)
    for row in listed:
        assert row == api.get(f"{BASE}/attendance/{row['id']}/").json()
    assert {row["first_seen_at"] for row in listed} >= {None, "2026-09-14T08:00:00.123456Z"}
    assert all(row["updated_at"].endswith("Z") for row in listed)


def _follow(client, url):
    """Every id of a list, following `next` to the end."""
    ids = []
    while url:
        page = client.get(url).json()
        ids += [row["id"] for row in page["results"]]
        url = page["next"]
    return ids


def test_a_filtered_list_pages_to_its_end_with_one_compiled_query_for_both_schools(
    key_a, key_b, school_a, school_b
):
    """The page's SQL is compiled once per shape and shared by every school; each school's call
    binds its own school, filters and position, and sees only its own rows."""
    sessions = {
        school.organisation: ClassSessionFactory(
            school_class=school.school_class, opened_by=school.admin
        )
        for school in (school_a, school_b)
    }

    def records(school, status, count):
        return [
            AttendanceRecordFactory(
                session=sessions[school.organisation],
                student=StudentFactory(organisation=school.organisation),
                status=status,
            )
            for _ in range(count)
        ]

    late_a, late_b = records(school_a, "late", 5), records(school_b, "late", 4)
    records(school_a, "present", 3)
    url = f"{BASE}/attendance/?status=late&source=manual&page_size=2"

    assert _follow(key_a.client(), url) == [str(r.public_id) for r in late_a]
    compiled = attendance_page_query.cache_info().misses
    assert _follow(key_b.client(), url) == [str(r.public_id) for r in late_b]
    assert attendance_page_query.cache_info().misses == compiled


def test_a_page_costs_one_query_whatever_its_size_once_the_key_is_known(
    api, school_a, django_assert_num_queries
):
    _records(school_a, 30)
    api.get(f"{BASE}/attendance/")  # writes the key's last use (once a minute)
    with django_assert_num_queries(2):  # the key with its school, then the page
        api.get(f"{BASE}/attendance/")
    for size in (1, 30):
        with django_assert_num_queries(1):  # the page; the key comes from the cache
            response = api.get(f"{BASE}/attendance/?page_size={size}")
        assert len(response.json()["results"]) == size


def test_a_key_opens_sessions_as_its_creator_only_while_they_are_an_admin(key_a, school_a):
    # The key's creator is read only when a write needs them, not with every request's key.
    opened = key_a.client().post(
        f"{BASE}/sessions/",
        {"class_id": str(school_a.school_class.public_id)},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    assert opened.json()["opened_by_id"] == str(school_a.admin.user.public_id)
    school_a.admin.role = Role.TEACHER
    school_a.admin.save(update_fields=["role"])
    refused = key_a.client().post(f"{BASE}/sessions/{opened.json()['id']}/close/")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == CREATOR_GONE

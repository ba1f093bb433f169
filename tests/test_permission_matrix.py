"""Who gets what on every route. A route without a row fails the test: add the row."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.recognition.factories import ConsentFactory, FacePhotoFactory

ANON, TEACHER_A, ADMIN_A, ADMIN_B = "anonymous", "teacher_a", "admin_a", "admin_b"
ROLES = (ANON, TEACHER_A, ADMIN_A, ADMIN_B)
LOGIN = 302  # anonymous users are sent to the login page


def _cls(s):
    return {"public_id": s.school_class.public_id}


def _stu(s):
    return {"public_id": s.student.public_id}


def _ses(s):
    """An open session of school A's class, opened by its teacher."""
    from tests.factories import ClassSessionFactory

    return {
        "public_id": ClassSessionFactory(school_class=s.school_class, opened_by=s.teacher).public_id
    }


def _closed_ses_record(s):
    """A session of school A's class that closed long ago, with a record of A's student."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import AttendanceRecordFactory, ClassSessionFactory

    opened = timezone.now() - timedelta(days=10)
    session = ClassSessionFactory(
        school_class=s.school_class,
        opened_by=s.teacher,
        opened_at=opened,
        closed_at=opened + timedelta(hours=1),
        status="closed",
    )
    AttendanceRecordFactory(session=session, student=s.student, status="absent")
    return {"public_id": s.student.public_id, "session_id": session.public_id}


def _import_job(s):
    from tests.factories import ImportJobFactory

    return {"public_id": ImportJobFactory(organisation=s.organisation).public_id}


def _photo(s):
    return {"public_id": s.photo.public_id}


def _api_key(s):
    from accounts.scoping import organisation_scope
    from accounts.services import api_key_create

    with organisation_scope(s.organisation):
        api_key, _ = api_key_create(
            organisation=s.organisation, name="SIS", scope="read", created_by=s.admin.user
        )
    return {"public_id": api_key.public_id}


def _webhook(s):
    from accounts.scoping import organisation_scope
    from records.webhooks.services import webhook_endpoint_create

    with organisation_scope(s.organisation):
        endpoint = webhook_endpoint_create(
            organisation=s.organisation,
            url="https://sis.example.org/hooks",
            events=["roster.changed"],
            created_by=None,
        )
    return {"public_id": endpoint.public_id}


# name: (method, kwargs from school A, data, {role: status})
MATRIX = {
    "healthz": ("get", None, None, {ANON: 200, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200}),
    "login": ("get", None, None, {ANON: 200, TEACHER_A: 302, ADMIN_A: 302, ADMIN_B: 302}),
    "logout": ("post", None, None, {ANON: 302, TEACHER_A: 302, ADMIN_A: 302, ADMIN_B: 302}),
    "dashboard": ("get", None, None, {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200}),
    "teacher_list": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "teacher_create": (
        "get",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200},
    ),
    "class_list": ("get", None, None, {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200}),
    "class_create": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "class_detail": ("get", _cls, None, {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404}),
    "class_edit": ("get", _cls, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404}),
    "class_archive": (
        "post",
        _cls,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "class_enrol": (
        "post",
        _cls,
        lambda s: {"student": s.student.public_id},
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 400, ADMIN_B: 404},  # A's student is already in
    ),
    "class_unenrol": (
        "post",
        lambda s: {**_cls(s), "student_id": s.student.public_id},
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "class_assign_teacher": (
        "post",
        _cls,
        lambda s: {"teacher": s.teacher.user.public_id},
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "class_unassign_teacher": (
        "post",
        lambda s: {**_cls(s), "teacher_id": s.teacher.user.public_id},
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "student_list": ("get", None, None, {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200}),
    "student_create": (
        "get",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200},
    ),
    "student_detail": (
        "get",
        _stu,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "student_edit": ("get", _stu, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404}),
    "student_archive": (
        "post",
        _stu,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "session_start": (
        "post",
        _cls,
        None,
        {ANON: LOGIN, TEACHER_A: 302, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "session_detail": (
        "get",
        _ses,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "session_mark": (
        "post",
        lambda s: {**_ses(s), "student_id": s.student.public_id},
        lambda s: {"status": "present"},
        {ANON: LOGIN, TEACHER_A: 302, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "session_close": (
        "post",
        _ses,
        None,
        {ANON: LOGIN, TEACHER_A: 302, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "class_daily_csv": (
        "get",
        _cls,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    # Face recognition (both schools have it on; A's student has consent and a photo).
    "model_page": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "model_status": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "biometrics_toggle": (
        "post",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 302},
    ),
    "model_rebuild": (
        "post",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 302},
    ),
    "student_faces": ("get", _stu, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404}),
    "consent_create": (  # A's student already has an active consent: 409 for A's admin
        "post",
        _stu,
        lambda s: {"given_by": "A parent", "given_on": "2026-01-05"},
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 409, ADMIN_B: 404},
    ),
    "consent_withdraw": (
        "post",
        _stu,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "photo_upload": (  # no file chosen: 400 with the reason
        "post",
        _stu,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 400, ADMIN_B: 404},
    ),
    "photo_image": ("get", _photo, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404}),
    "photo_delete": (
        "post",
        _photo,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    # Live pages re-sync from these when their socket (re)connects.
    "session_state": (
        "get",
        _ses,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "dashboard_state": (
        "get",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200},
    ),
    # A record of a long-closed session, from the student's page: the teacher's window is over.
    "student_mark": (
        "post",
        _closed_ses_record,
        lambda s: {"status": "excused", "reason": "Note from home"},
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "report_index": ("get", None, None, {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200}),
    "report_school_summary": (
        "get",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200},
    ),
    "report_school_summary_csv": (
        "get",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200},
    ),
    "report_records_csv": (
        "get",
        None,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 200},
    ),
    "report_class_register": (
        "get",
        _cls,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "report_class_register_csv": (
        "get",
        _cls,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "report_student_history": (
        "get",
        _stu,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "report_student_history_csv": (
        "get",
        _stu,
        None,
        {ANON: LOGIN, TEACHER_A: 200, ADMIN_A: 200, ADMIN_B: 404},
    ),
    "import_list": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "import_detail": (
        "get",
        _import_job,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404},
    ),
    # The job holds no bundle (its preview found problems): confirming it is a conflict.
    "import_confirm": (
        "post",
        _import_job,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 409, ADMIN_B: 404},
    ),
    "import_status": (
        "get",
        _import_job,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404},
    ),
    # Integrations (issue 8): API keys and webhook endpoints, school admins only.
    "api_key_list": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "api_key_create": (
        "post",
        None,
        lambda s: {"name": "SIS", "scope": "read"},
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200},  # the key, shown once
    ),
    "api_key_revoke": (
        "post",
        _api_key,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "webhook_list": ("get", None, None, {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200}),
    "webhook_create": (
        "post",
        None,
        lambda s: {"url": "https://sis.example.org/hooks", "events": ["roster.changed"]},
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 200},  # the secret, shown once
    ),
    "webhook_disable": (
        "post",
        _webhook,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 302, ADMIN_B: 404},
    ),
    "webhook_deliveries": (
        "get",
        _webhook,
        None,
        {ANON: LOGIN, TEACHER_A: 403, ADMIN_A: 200, ADMIN_B: 404},
    ),
}
# The Django admin is its own application with its own permission checks; its entry is a row,
# and tests/accounts/test_admin.py covers what staff of each school see inside it.
ADMIN_SITE_NAMESPACE = "admin"
API_NAMESPACE = "api"


def _route_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_has_a_row_in_the_matrix():
    names = set(_route_names(get_resolver().url_patterns))
    unnamed = [name for name in names if name is None]
    assert unnamed == [], "every route needs a name to have a row"
    # Routes under /api/ have their own matrix (key roles, not logins), which walks the resolver
    # and fails on a route without a row: tests/api/test_api_permissions.py.
    project_routes = {
        n for n in names if not n.startswith((f"{ADMIN_SITE_NAMESPACE}:", f"{API_NAMESPACE}:"))
    }
    assert project_routes - MATRIX.keys() == set(), "routes without a row"
    assert MATRIX.keys() - project_routes == set(), "rows for routes that no longer exist"


@pytest.fixture
def biometrics_on(school_a, school_b, settings, tmp_path):
    """Both schools have recognition on; A's student has consent and one stored photo."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    for school in (school_a, school_b):
        school.organisation.biometrics_enabled = True
        school.organisation.save()
    ConsentFactory(student=school_a.student)
    school_a.photo = FacePhotoFactory(student=school_a.student)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, role, school_a, school_b, biometrics_on, client_for):
    method, kwargs, data, expected = MATRIX[name]
    membership = {
        ANON: None,
        TEACHER_A: school_a.teacher,
        ADMIN_A: school_a.admin,
        ADMIN_B: school_b.admin,
    }[role]
    url = reverse(name, kwargs=kwargs(school_a) if kwargs else None)
    client = client_for(membership)
    response = getattr(client, method)(url, data(school_a) if data else None)
    assert response.status_code == expected[role], response.content[:300]
    if role == ANON and expected[role] == LOGIN and name not in {"logout"}:
        assert response["Location"].startswith(reverse("login"))


def test_an_unknown_uuid_and_another_schools_uuid_get_the_same_404(school_a, school_b, client_for):
    client = client_for(school_b.admin)
    theirs = client.get(reverse("class_detail", kwargs=_cls(school_a)))
    unknown = client.get(reverse("class_detail", kwargs={"public_id": uuid.uuid4()}))
    assert theirs.status_code == unknown.status_code == 404

    def without_csrf(text):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert without_csrf(theirs.text) == without_csrf(unknown.text)

"""Who gets what on every /api/ route: anonymous, read key, read-write key, school B's key, and a
revoked key. This test walks the URL resolver for every route under /api/ and fails on a route
without a row (tests/test_permission_matrix.py leaves /api/ to it)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ANON, READ, RW, KEY_B, REVOKED = "anonymous", "read_key", "read_write_key", "key_b", "revoked"
ROLES = (ANON, READ, RW, KEY_B, REVOKED)
API_NAMESPACE = "api"


def _cls(s):
    return {"public_id": s.school_class.public_id}


def _stu(s):
    return {"public_id": s.student.public_id}


def _enr(s):
    from accounts.scoping import organisation_scope

    with organisation_scope(s.organisation):
        return {"public_id": s.student.enrollments.get().public_id}


def _tea(s):
    return {"public_id": s.teacher.user.public_id}


def _ses(s):
    from tests.factories import ClassSessionFactory

    session = ClassSessionFactory(school_class=s.school_class, opened_by=s.teacher)
    return {"public_id": session.public_id}


def _rec(s):
    from tests.factories import AttendanceRecordFactory, ClassSessionFactory

    session = ClassSessionFactory(school_class=s.school_class, opened_by=s.teacher)
    return {"public_id": AttendanceRecordFactory(session=session, student=s.student).public_id}


def _ext(s):
    return {"external_id": "sis-1"}


def read(own=200, theirs=200):
    """A GET: every valid key reads; school B's key reads its own school (or gets 404)."""
    return {ANON: 401, READ: 200, RW: own, KEY_B: theirs, REVOKED: 401}


def write(own, theirs):
    return {ANON: 401, READ: 403, RW: own, KEY_B: theirs, REVOKED: 401}


PUBLIC = dict.fromkeys(ROLES, 200)

# (name, method): (kwargs from school A, body from school A, {role: status})
MATRIX = {
    ("schema", "get"): (None, None, PUBLIC),
    ("docs", "get"): (None, None, PUBLIC),
    ("organisation", "get"): (None, None, read()),
    ("student-list", "get"): (None, None, read()),
    (
        "student-list",
        "post",
    ): (
        None,
        lambda s: {"given_name": "A", "family_name": "B", "student_number": "N1"},
        write(201, 201),
    ),
    ("student-detail", "get"): (_stu, None, read(theirs=404)),
    ("student-detail", "patch"): (_stu, lambda s: {"given_name": "X"}, write(200, 404)),
    ("student-archive", "post"): (_stu, None, write(200, 404)),
    (
        "student-upsert",
        "put",
    ): (
        _ext,
        lambda s: {"given_name": "A", "family_name": "B", "student_number": "N1"},
        write(201, 201),
    ),
    ("class-list", "get"): (None, None, read()),
    ("class-list", "post"): (None, lambda s: {"name": "9Z"}, write(201, 201)),
    ("class-detail", "get"): (_cls, None, read(theirs=404)),
    ("class-detail", "patch"): (_cls, lambda s: {"name": "9Y"}, write(200, 404)),
    ("class-archive", "post"): (_cls, None, write(200, 404)),
    ("class-upsert", "put"): (_ext, lambda s: {"name": "9X"}, write(201, 201)),
    ("enrollment-list", "get"): (None, None, read()),
    (
        "enrollment-list",
        "post",
    ): (
        None,
        lambda s: {
            "class_id": str(s.school_class.public_id),
            "student_id": str(s.student.public_id),
        },
        write(200, 400),  # already enrolled: idempotent; school B may not name A's objects
    ),
    ("enrollment-detail", "get"): (_enr, None, read(theirs=404)),
    ("enrollment-detail", "delete"): (_enr, None, write(204, 404)),
    ("teacher-list", "get"): (None, None, read()),
    (
        "teacher-list",
        "post",
    ): (
        None,
        lambda s: {
            "username": "new-teacher",
            "given_name": "N",
            "family_name": "T",
            "password": "correct-horse-battery",
        },
        write(201, 201),
    ),
    ("teacher-detail", "get"): (_tea, None, read(theirs=404)),
    ("teacher-detail", "patch"): (_tea, lambda s: {"given_name": "Grace"}, write(200, 404)),
    ("teacher-archive", "post"): (_tea, None, write(200, 404)),
    (
        "teacher-upsert",
        "put",
    ): (
        _ext,
        lambda s: {"username": "sis-teacher", "given_name": "S", "family_name": "T"},
        write(201, 201),
    ),
    ("session-list", "get"): (None, None, read()),
    (
        "session-list",
        "post",
    ): (None, lambda s: {"class_id": str(s.school_class.public_id)}, write(201, 400)),
    ("session-detail", "get"): (_ses, None, read(theirs=404)),
    ("session-close", "post"): (_ses, None, write(200, 404)),
    ("attendance-list", "get"): (None, None, read()),
    ("attendance-detail", "get"): (_rec, None, read(theirs=404)),
    ("attendance-status", "post"): (_rec, lambda s: {"status": "late"}, write(200, 404)),
    ("attendance-event-list", "get"): (None, None, read()),
    ("attendance-event-csv", "get"): (None, None, read()),
}


def _routes(patterns, prefix="", namespace=None):
    """(full route, namespace, name) of every route, walking includes."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield route, namespace, pattern.name


def test_every_route_under_api_has_rows_in_this_matrix():
    under_api = [
        (r, ns, n) for r, ns, n in _routes(get_resolver().url_patterns) if r.startswith("api/")
    ]
    assert under_api, "the API is mounted under /api/"
    outside = [r for r, ns, _ in under_api if ns != API_NAMESPACE]
    assert outside == [], "every route under /api/ is in the api namespace, so it has a row here"
    names = {n for _, _, n in under_api}
    rows = {name for name, _ in MATRIX}
    assert None not in names
    assert names - rows == set(), "API routes without a row"
    assert rows - names == set(), "rows for routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(MATRIX))
def test_api_permission_matrix(name, method, role, school_a, school_b, request):
    kwargs, body, expected = MATRIX[(name, method)]
    client = {
        ANON: lambda: __import__("django.test", fromlist=["Client"]).Client(),
        READ: lambda: request.getfixturevalue("read_key_a").client(),
        RW: lambda: request.getfixturevalue("key_a").client(),
        KEY_B: lambda: request.getfixturevalue("key_b").client(),
        REVOKED: lambda: request.getfixturevalue("revoked_key_a").client(),
    }[role]()
    url = reverse(f"{API_NAMESPACE}:{name}", kwargs=kwargs(school_a) if kwargs else None)
    data = body(school_a) if body else None
    response = getattr(client, method)(url, data, content_type="application/json")
    assert response.status_code == expected[role], getattr(response, "content", b"")[:300]
    if response.status_code >= 400 and response.get("Content-Type", "").startswith(
        "application/json"
    ):
        assert set(response.json()) == {"error"}

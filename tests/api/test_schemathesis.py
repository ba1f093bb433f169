"""Property-based API tests (schemathesis) against the WSGI app with school A's read-write key.

Every operation of the OpenAPI schema gets generated requests, valid and invalid. Checks: no 5xx,
every response matches its documented schema, and no response ever carries the public id of an
object of school B, which is fully furnished (students, classes, enrollments, a teacher, sessions,
records, a key, a webhook endpoint) so there is something to leak.

Bounded (a few examples per operation, no deadline) to keep the whole run near a minute on two
cores; deselect with `-m "not schemathesis"`.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import ApiKeyScope, Role
from accounts.scoping import organisation_scope
from accounts.services import api_key_create
from records.webhooks.services import webhook_endpoint_create
from tests.factories import (
    AttendanceRecordFactory,
    ClassSessionFactory,
    EnrollmentFactory,
    MembershipFactory,
    SchoolClassFactory,
    StudentFactory,
    TeacherAssignmentFactory,
)

pytestmark = pytest.mark.schemathesis

EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the database connection after each request; the test's
    transaction lives on it. Django's test client unhooks the same signal for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def school_b_ids(school_b):
    """School B, furnished, and the public id of everything in it, as text."""
    b = school_b.organisation
    teacher = MembershipFactory(organisation=b, role=Role.TEACHER, user__username="birch-teacher")
    classes = [school_b.school_class, *(SchoolClassFactory(organisation=b) for _ in range(2))]
    students = [school_b.student, *(StudentFactory(organisation=b) for _ in range(4))]
    enrollments = [
        EnrollmentFactory(school_class=school_class, student=student)
        for school_class in classes[1:]
        for student in students[1:]
    ]
    assignment = TeacherAssignmentFactory(school_class=classes[0], teacher=teacher)
    opened = timezone.now() - timedelta(days=1)
    sessions = [
        ClassSessionFactory(school_class=classes[0], opened_by=teacher),
        ClassSessionFactory(
            school_class=classes[1],
            opened_by=teacher,
            opened_at=opened,
            closed_at=opened + timedelta(hours=1),
            status="closed",
        ),
    ]
    records = [
        AttendanceRecordFactory(session=session, student=student)
        for session in sessions
        for student in students[:3]
    ]
    with organisation_scope(b):
        enrollments += list(school_b.student.enrollments.all())
        api_key, _ = api_key_create(
            organisation=b, name="Birch SIS", scope=ApiKeyScope.READ_WRITE, created_by=None
        )
        endpoint = webhook_endpoint_create(
            organisation=b,
            url="https://birch.example.org/hooks",
            events=["roster.changed"],
            created_by=None,
        )
    people = [school_b.admin.user.public_id, teacher.user.public_id]
    objects = [*classes, *students, *enrollments, assignment, *sessions, *records]
    ids = {str(b.public_id), str(api_key.public_id), str(endpoint.public_id)}
    ids |= {str(public_id) for public_id in people}
    ids |= {str(obj.public_id) for obj in objects}
    return ids


# Loaded at collection from the app itself (the schema view reads no database).
# schemathesis.pytest.from_fixture would defer it, but it breaks on pytest 9 (it rewrites
# `Function._nodeid`, which pytest 9 no longer has).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_and_never_leaks_school_b(
    case, key_a, school_a, school_b_ids, connection_kept, settings
):
    settings.API_THROTTLE_RATE = "1000000/minute"

    def no_school_b_ids(ctx, response, case):
        body = response.content.decode("utf-8", "replace").lower()
        leaked = sorted(public_id for public_id in school_b_ids if public_id in body)
        assert not leaked, f"school B's ids in a response to school A's key: {leaked}"

    case.call_and_validate(
        headers={"Authorization": f"Bearer {key_a.plaintext}"},
        checks=[not_a_server_error, response_schema_conformance, no_school_b_ids],
    )

"""The cast every test shares: school A (admin, teacher, a class with a student) and school B
(admin, a class with a student). The outsider is always in the room."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import ApiKey, ApiKeyScope, Membership, Organisation, Role
from accounts.scoping import organisation_scope
from accounts.services import api_key_create
from records.models import SchoolClass, Student
from tests.factories import (
    EnrollmentFactory,
    MembershipFactory,
    OrganisationFactory,
    SchoolClassFactory,
    TeacherAssignmentFactory,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# An unset or empty FACES_DIR means the shared folder beside the checkout.
FACES_DIR = Path(os.environ.get("FACES_DIR") or REPO_ROOT.parent / "shared" / "faces")


@dataclass
class School:
    organisation: Organisation
    admin: Membership
    teacher: Membership | None
    school_class: SchoolClass
    student: Student


def _school(name: str, slug: str, *, with_teacher: bool) -> School:
    organisation = OrganisationFactory(name=name, slug=slug)
    admin = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__username=f"{slug}-admin"
    )
    school_class = SchoolClassFactory(organisation=organisation, name=f"{name} 7A")
    student = EnrollmentFactory(school_class=school_class).student
    teacher = None
    if with_teacher:
        teacher = TeacherAssignmentFactory(
            school_class=school_class, teacher__user__username=f"{slug}-teacher"
        ).teacher
    return School(organisation, admin, teacher, school_class, student)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    """Face photos and model files of a test go to its own folder, never to var/private."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def school_a(db) -> School:
    return _school("Alder School", "alder", with_teacher=True)


@pytest.fixture
def school_b(db) -> School:
    return _school("Birch School", "birch", with_teacher=False)


@pytest.fixture
def admin_a(school_a):
    return school_a.admin


@pytest.fixture
def teacher_a(school_a):
    return school_a.teacher


@pytest.fixture
def admin_b(school_b):
    return school_b.admin


@pytest.fixture
def client_for():
    """A logged-in browser client for a membership (or anonymous for None)."""

    def make(membership: Membership | None) -> Client:
        client = Client()
        if membership is not None:
            client.force_login(membership.user)
        return client

    return make


@pytest.fixture
def in_school():
    """Enter a school's scope inside a test, as an entry point would."""
    return organisation_scope


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker on the Redis broker when REDIS_URL is set; eager Celery otherwise.

    The worker runs in a thread of this process with its own database connection, so tests that
    use it need committed data (transactional_db).
    """
    from django.conf import settings

    from attendance_project.celery import app

    if not settings.REDIS_URL:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    app.conf.task_always_eager = False
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        queues=settings.WORKER_QUEUES,
    ) as worker:
        yield worker


@pytest.fixture
def anyio_backend():
    """Async tests (WebSockets, ASGI) run on asyncio, as daphne and uvicorn do."""
    return "asyncio"


def api_key_for(
    school: School, scope: str = ApiKeyScope.READ_WRITE, name: str = "SIS"
) -> tuple[ApiKey, str]:
    """An API key of the school, created by its admin as the admin page does: (key, plaintext)."""
    with organisation_scope(school.organisation):
        return api_key_create(
            organisation=school.organisation, name=name, scope=scope, created_by=school.admin.user
        )


def session_cookie(membership: Membership) -> str:
    """The session cookie of a logged-in browser, for sockets and raw ASGI requests."""
    client = Client()
    client.force_login(membership.user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value

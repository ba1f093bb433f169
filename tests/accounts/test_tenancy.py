"""Tenancy fails closed: no scope, no data; a scope shows one school only."""

import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.utils import timezone
from django_scopes import ScopeError

from accounts.consumers import OrganisationConsumerMixin, scoped_database_sync_to_async
from accounts.middleware import OrganisationScopeMiddleware
from accounts.models import Organisation
from accounts.scoping import organisation_scope
from accounts.tasks import OrganisationTask
from attendance_project.celery import app as celery_app
from records.models import Student
from tests.conftest import REPO_ROOT

TENANT_MODELS = [
    model
    for model in apps.get_models()
    if model is not Organisation
    and any(field.name == "organisation" for field in model._meta.get_fields())
]


def test_there_are_tenant_models_to_check():
    assert {m.__name__ for m in TENANT_MODELS} >= {
        "Membership",
        "Student",
        "SchoolClass",
        "Enrollment",
        "TeacherAssignment",
    }


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_every_tenant_model_refuses_a_query_outside_a_scope(db, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_every_tenant_model_has_only_a_scoped_manager(model):
    managers = model._meta.managers
    assert len(managers) == 1
    assert type(managers[0]).__module__ == "django_scopes.manager"


def test_organisation_scope_refuses_none_which_would_mean_every_school():
    with pytest.raises(ValueError, match="saved Organisation"), organisation_scope(None):
        pass


def test_a_scope_shows_only_its_own_schools_rows(school_a, school_b):
    with organisation_scope(school_a.organisation):
        assert list(Student.objects.all()) == [school_a.student]
    with organisation_scope(school_b.organisation):
        assert list(Student.objects.all()) == [school_b.student]


def test_web_middleware_scopes_each_request_to_the_users_school(school_a, school_b, client_for):
    response = client_for(school_a.admin).get("/students/")
    assert response.status_code == 200
    assert school_a.student.family_name in response.text
    assert school_b.student.family_name not in response.text


def test_a_login_without_a_school_is_refused(db, client_for, django_user_model):
    user = django_user_model.objects.create_user("drifter", password="x-long-password")
    client = client_for(None)
    client.force_login(user)
    response = client.get("/students/")
    assert response.status_code == 403
    assert "belongs to no school" in response.text


@celery_app.task(base=OrganisationTask, name="tests.count_students")
def count_students(*, organisation_id: int) -> list[str]:
    return [student.student_number for student in Student.objects.all()]


def test_celery_base_task_enters_the_school_named_by_organisation_id(school_a, school_b):
    result = count_students.apply(kwargs={"organisation_id": school_b.organisation.pk}).get()
    assert result == [school_b.student.student_number]


def test_a_real_worker_runs_the_task_in_the_named_school(celery_worker, school_a, school_b):
    """With REDIS_URL (CI) this goes through Redis to a worker; without it Celery is eager."""
    result = count_students.delay(organisation_id=school_a.organisation.pk)
    assert result.get(timeout=20) == [school_a.student.student_number]


def test_celery_base_task_without_organisation_id_refuses_to_run(school_a):
    with pytest.raises(TypeError, match="organisation_id"):
        count_students.apply(kwargs={}).get()


class RosterConsumer(OrganisationConsumerMixin):
    def __init__(self, user):
        self.scope = {"user": user}

    @scoped_database_sync_to_async
    def student_numbers(self) -> list[str]:
        return [student.student_number for student in Student.objects.all()]


# database_sync_to_async closes connections left in a transaction, so these tests commit.
def test_channels_mixin_runs_database_calls_in_the_users_school(
    transactional_db, school_a, school_b
):
    consumer = RosterConsumer(school_b.admin.user)

    async def connect_and_read():
        await consumer.resolve_membership()
        return await consumer.student_numbers()

    assert async_to_sync(connect_and_read)() == [school_b.student.student_number]


def test_channels_mixin_refuses_a_connection_without_a_school(transactional_db, django_user_model):
    consumer = RosterConsumer(django_user_model.objects.create_user("drifter"))

    async def connect_and_read():
        await consumer.resolve_membership()
        return await consumer.student_numbers()

    with pytest.raises(PermissionError):
        async_to_sync(connect_and_read)()


# Every way round the scope, and the only files allowed to take it, each for one reason.
SCOPE_ESCAPES = ("scopes_disabled", "_base_manager")
ALLOWED_TO_ESCAPE_SCOPES = {
    # which school a login belongs to, asked before any scope can exist; a superuser's admin
    "accounts/scoping.py",
    # which school an API key belongs to, looked up by its unique prefix before any scope (and
    # the keys of a school whose cached copies must go when it changes)
    "accounts/api_key_cache.py",
    # webhook outbox writes from model signals, filtered by the written row's own school; the
    # sweep reads ids only and hands each delivery to a task scoped to its school
    "records/webhooks/selectors.py",
}


def test_scopes_are_escaped_only_in_the_allowlisted_files():
    offenders = []
    for path in REPO_ROOT.rglob("*.py"):
        relative = path.relative_to(REPO_ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", "node_modules/")):
            continue
        text = path.read_text()
        if any(escape in text for escape in SCOPE_ESCAPES):
            offenders.append(relative)
    assert sorted(offenders) == sorted(ALLOWED_TO_ESCAPE_SCOPES)


def test_import_contracts_hold():
    """The engine imports no Django; records never imports recognition; apps import downward."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(  # noqa: S603 -- our own tool, fixed arguments.
        [str(lint_imports)], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_speak_the_schools_time_zone(school_a, school_b, client_for):
    school_b.organisation.timezone = "Pacific/Auckland"
    school_b.organisation.save()
    seen = {}

    def view(request):
        seen["timezone"] = timezone.get_current_timezone_name()

    request = client_for(school_b.admin).get("/").wsgi_request  # a logged-in request
    OrganisationScopeMiddleware(view)(request)
    assert seen["timezone"] == "Pacific/Auckland"
    assert timezone.get_current_timezone_name() == "UTC"  # restored after the request

"""A query compiled once runs for the school whose scope is active, and without one for none."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField, UUIDField
from django_scopes import ScopeError, scopes_disabled

from accounts.compiled_query import Slot, compile_query
from accounts.models import Organisation
from accounts.scoping import any_school_scope
from records.models import ImportJob, Student
from tests.factories import StudentFactory


def students_named():
    """Family names of a school's students with a given first name: one compiled query."""
    return compile_query(
        lambda: (
            Student.objects.filter(given_name=Slot("given_name", CharField()))
            .order_by("family_name")
            .values_list("family_name")
        )
    )


def test_one_compiled_query_shows_each_school_only_its_own_rows(school_a, school_b, in_school):
    StudentFactory(organisation=school_a.organisation, given_name="Ada", family_name="Alder")
    StudentFactory(organisation=school_b.organisation, given_name="Ada", family_name="Birch")
    query = students_named()

    with in_school(school_a.organisation):
        assert query.rows(given_name="Ada") == [("Alder",)]
    with in_school(school_b.organisation):
        assert query.rows(given_name="Ada") == [("Birch",)]
        assert query.rows(given_name="Nobody") == []


def test_it_runs_for_no_school_without_a_schools_scope(school_a, in_school):
    query = students_named()
    with pytest.raises(ScopeError):
        query.rows(given_name="Ada")
    # Disabled scopes mean every school to a scoped manager; a compiled query refuses them.
    with in_school(school_a.organisation), scopes_disabled(), pytest.raises(ScopeError):
        query.rows(given_name="Ada")


def test_a_value_is_sent_as_its_field_sends_it(school_a, school_b, in_school):
    """A UUID is hex text on SQLite and a uuid on PostgreSQL, as the ORM would send it."""
    query = compile_query(
        lambda: Student.objects.filter(public_id=Slot("id", UUIDField())).values_list("family_name")
    )
    with in_school(school_a.organisation):
        assert query.rows(id=school_a.student.public_id) == [(school_a.student.family_name,)]
        assert query.rows(id=str(school_a.student.public_id)) == [(school_a.student.family_name,)]
        assert query.rows(id=school_b.student.public_id) == []


def test_every_slot_needs_a_value(school_a, in_school):
    with in_school(school_a.organisation), pytest.raises(TypeError, match="given_name"):
        students_named().rows()


def test_a_query_without_a_school_filter_is_refused_when_compiled(db):
    with pytest.raises(ScopeError, match="no school filter"):
        compile_query(lambda: Organisation.objects.values_list("name"))


def test_a_column_django_would_convert_is_refused_when_compiled(db):
    """JSON is decoded by its field on the way out, on every database: rows read raw would
    differ from the ORM's, so the query must select what it wants as text instead."""
    with pytest.raises(ImproperlyConfigured, match="converting"):
        compile_query(lambda: ImportJob.objects.values_list("preview"))


def test_the_compile_time_scope_takes_only_a_placeholder(db):
    """Given None, django-scopes would show every school: the compile-time scope refuses it."""
    with pytest.raises(ValueError, match="placeholder"), any_school_scope(None):
        pass

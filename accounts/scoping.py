"""The one way into a school's data.

django-scopes makes every tenant query fail unless a scope is active. A scope is entered only at
the four entry points (web middleware, API-key authentication, Channels consumer mixin, Celery
base task), always through `organisation_scope`, which refuses None: in django-scopes
`scope(organisation=None)` means "every school", which must never happen by accident.

A query compiled once for every school (accounts/compiled_query.py) is built inside
`any_school_scope`, with a placeholder for the school, and runs for `active_organisation_pk`, the
school of the scope entered at one of those four points.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Expression
from django_scopes import ScopeError, get_scope, scope, scopes_disabled

from accounts.models import Membership, Organisation, User


@contextmanager
def organisation_scope(organisation: Organisation) -> Iterator[Organisation]:
    if not isinstance(organisation, Organisation) or organisation.pk is None:
        raise ValueError(f"organisation_scope needs a saved Organisation, not {organisation!r}")
    with scope(organisation=organisation.pk):
        yield organisation


def active_organisation_pk() -> int:
    """The school of the active scope, for SQL compiled once for every school (compiled_query)."""
    current = get_scope()
    organisation = current.get("organisation")
    if not current.get("_enabled", True) or not isinstance(organisation, int):
        raise ScopeError("A school's scope needs to be active for this query.")
    return organisation


@contextmanager
def any_school_scope(school: Expression) -> Iterator[None]:
    """Only for compiling a query once for every school: the scoped managers filter on `school`,
    a placeholder that compiled_query fills from the scope active each time the query runs."""
    if not isinstance(school, Expression):  # None, say, would be every school's rows
        raise ValueError(f"any_school_scope needs a placeholder expression, not {school!r}")
    with scope(organisation=school):
        yield


def membership_for_user(user: User) -> Membership | None:
    """Find which school a login belongs to: the question asked before any scope can exist."""
    if not user.is_authenticated:
        return None
    with scopes_disabled():
        return Membership.objects.select_related("organisation", "user").filter(user=user).first()


@contextmanager
def all_organisations_for_superuser(user: User) -> Iterator[None]:
    """The Django admin for a superuser without a school: every school, shown as such."""
    if not (user.is_active and user.is_superuser):
        raise PermissionError("Only a superuser may look across schools.")
    with scopes_disabled():
        yield

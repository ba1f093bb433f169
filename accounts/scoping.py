"""The one way into a school's data.

django-scopes makes every tenant query fail unless a scope is active. A scope is entered only at
the four entry points (web middleware, API-key authentication, Channels consumer mixin, Celery
base task), always through `organisation_scope`, which refuses None: in django-scopes
`scope(organisation=None)` means "every school", which must never happen by accident.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django_scopes import scope, scopes_disabled

from accounts.models import Membership, Organisation, User


@contextmanager
def organisation_scope(organisation: Organisation) -> Iterator[Organisation]:
    if not isinstance(organisation, Organisation) or organisation.pk is None:
        raise ValueError(f"organisation_scope needs a saved Organisation, not {organisation!r}")
    with scope(organisation=organisation.pk):
        yield organisation


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

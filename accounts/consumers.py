"""The Channels scope point: consumers resolve the user's school once, then every database call
they make runs inside that school's scope."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from channels.db import database_sync_to_async

from accounts.models import Membership, Organisation
from accounts.scoping import membership_for_user, organisation_scope

R = TypeVar("R")


class OrganisationConsumerMixin:
    """Mix into a consumer; call `await self.resolve_membership()` first in `connect`."""

    scope: dict[str, Any]
    membership: Membership | None = None
    organisation: Organisation | None = None

    async def resolve_membership(self) -> Membership | None:
        self.membership = await database_sync_to_async(membership_for_user)(self.scope["user"])
        self.organisation = self.membership.organisation if self.membership else None
        return self.membership


def scoped_database_sync_to_async(
    func: Callable[..., R],
) -> Callable[..., Any]:
    """Like `database_sync_to_async`, on a consumer method, with the consumer's school in scope.

    The scope lives in a context variable, so it must be entered inside the worker thread that
    runs the query, not around the `await`.
    """

    @wraps(func)
    def in_scope(self: OrganisationConsumerMixin, *args: Any, **kwargs: Any) -> R:
        if self.organisation is None:
            raise PermissionError("This connection belongs to no school.")
        with organisation_scope(self.organisation):
            return func(self, *args, **kwargs)

    return database_sync_to_async(in_scope)

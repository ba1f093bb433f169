"""Reads about schools and the people in them."""

from uuid import UUID

from django.db.models import QuerySet

from accounts.errors import NotFound
from accounts.models import ApiKey, Membership, Organisation, Role


def teachers_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.filter(role=Role.TEACHER).select_related("user")


def members_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user")


def teacher_get(*, organisation: Organisation, public_id: UUID | str) -> Membership:
    try:
        return teachers_list(organisation=organisation).get(user__public_id=public_id)
    except (Membership.DoesNotExist, ValueError) as error:
        raise NotFound("No such teacher in this school.") from error


API_KEY_NOT_FOUND = "No such API key."


def api_keys_list(*, organisation: Organisation) -> QuerySet[ApiKey]:
    return organisation.api_keys.select_related("created_by")


def api_key_get(*, organisation: Organisation, public_id: UUID | str) -> ApiKey:
    try:
        return api_keys_list(organisation=organisation).get(public_id=public_id)
    except (ApiKey.DoesNotExist, ValueError) as error:
        raise NotFound(API_KEY_NOT_FOUND) from error

"""Writes about schools and the people in them."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.errors import Conflict, DomainError
from accounts.models import Membership, Organisation, Role, User

USERNAME_TAKEN = "That username is taken; choose another."


def _raise_validation(error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        raise DomainError(errors[0].messages[0], field=None if field == "__all__" else field)
    raise DomainError(error.messages[0])


@transaction.atomic
def organisation_create(*, name: str, slug: str, timezone: str = "UTC") -> Organisation:
    organisation = Organisation(name=name, slug=slug, timezone=timezone)
    try:
        organisation.full_clean()
    except ValidationError as error:
        _raise_validation(error)
    organisation.save()
    return organisation


@transaction.atomic
def member_create(
    *,
    organisation: Organisation,
    username: str,
    password: str,
    role: Role | str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> Membership:
    """A new login in one school, with its role; the user and membership exist together or not."""
    user = User(
        username=username, first_name=first_name, last_name=last_name, email=email, is_active=True
    )
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "username" in error.error_dict:
            raise Conflict(USERNAME_TAKEN, field="username") from error
        _raise_validation(error)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise Conflict(USERNAME_TAKEN, field="username") from error
    membership = Membership(organisation=organisation, user=user, role=Role(role))
    membership.full_clean()
    membership.save()
    return membership

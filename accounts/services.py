"""Writes about schools and the people in them."""

import hashlib
import secrets
import string
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.api_key_cache import api_keys_forget
from accounts.errors import Conflict, DomainError
from accounts.models import ApiKey, ApiKeyScope, Membership, Organisation, Role, User

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
    password: str | None,
    role: Role | str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> Membership:
    """A new login in one school, with its role; the user and membership exist together or not.

    Without a password (a teacher pushed by a SIS) the login cannot be used until an admin sets
    one, as for teachers of a roster import."""
    user = User(
        username=username, first_name=first_name, last_name=last_name, email=email, is_active=True
    )
    try:
        user.full_clean(exclude=["password"])
        if password is not None:
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


NOT_A_TEACHER_LOGIN = "This login is not a teacher of the school."


def teacher_update(
    *,
    membership: Membership,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> Membership:
    """Change a teacher's names or email; a field left None keeps its value."""
    if membership.role != Role.TEACHER:
        raise DomainError(NOT_A_TEACHER_LOGIN, code="not_a_teacher")
    user = membership.user
    changes = {"first_name": first_name, "last_name": last_name, "email": email}
    for field, value in changes.items():
        if value is not None:
            setattr(user, field, value.strip())
    try:
        user.full_clean(exclude=["password", "username"])
    except ValidationError as error:
        _raise_validation(error)
    user.save(update_fields=[field for field, value in changes.items() if value is not None])
    return membership


def member_deactivate(*, membership: Membership) -> Membership:
    """The login stops working at its next request (Django refuses inactive users); the user
    and membership stay, so their history keeps its names."""
    user = membership.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return membership


# ----------------------------------------------------------------------------- API keys (issue 8)

API_KEY_NAME_NEEDED = "Name the key after the system that will use it."
API_KEY_ALREADY_REVOKED = "This key is already revoked."
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# last_used_at is a hint for the admin, not an audit: one write a minute per key is plenty.
API_KEY_USE_RESOLUTION = timedelta(minutes=1)


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_split(plaintext: str) -> tuple[str, str] | None:
    """`sk_live_abcd1234_<secret>` → (`sk_live_abcd1234`, secret); None when it is not a key."""
    width = len(ApiKey.PREFIX) + 8
    prefix, separator, secret = (
        plaintext[:width],
        plaintext[width : width + 1],
        plaintext[width + 1 :],
    )
    if not prefix.startswith(ApiKey.PREFIX) or separator != "_" or len(secret) < 32:
        return None
    return prefix, secret


@transaction.atomic
def api_key_create(
    *, organisation: Organisation, name: str, scope: ApiKeyScope | str, created_by: User | None
) -> tuple[ApiKey, str]:
    """A new key and its plaintext. The plaintext is returned this once and stored nowhere."""
    if not name.strip():
        raise DomainError(API_KEY_NAME_NEEDED, field="name")
    secret = secrets.token_urlsafe(32)
    prefix = ApiKey.PREFIX + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    api_key = ApiKey(
        organisation=organisation,
        name=name.strip(),
        prefix=prefix,
        secret_hash=api_key_hash(secret),
        scope=ApiKeyScope(scope),
        created_by=created_by,
    )
    try:
        api_key.full_clean()
    except ValidationError as error:
        _raise_validation(error)
    api_key.save()
    return api_key, f"{prefix}_{secret}"


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoked keys get 401 from their next request on; the row stays for the record."""
    if api_key.revoked_at is not None:
        raise Conflict(API_KEY_ALREADY_REVOKED)
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_record_use(*, api_key: ApiKey, now: datetime | None = None) -> None:
    now = now or timezone.now()
    last = api_key.last_used_at
    if last is not None and now - last < API_KEY_USE_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
    # The cached copy still has the old time: without this, each request after the first minute
    # would write again.
    api_keys_forget([api_key.prefix])

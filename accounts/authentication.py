"""The API's authentication: an organisation API key in `Authorization: Bearer sk_live_…`.

Finding the key is the one question asked before any scope exists (like
`accounts.scoping.membership_for_user` for logins): the row is found by its unique prefix
(`accounts.api_key_cache`), then its secret compared in constant time. The scope itself is
entered by `accounts.api.OrganisationAPIMixin` around the whole view, from `request.auth`.
"""

import hmac

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.api_key_cache import api_key_by_prefix
from accounts.models import ApiKey
from accounts.services import api_key_hash, api_key_split

KEY_MALFORMED = "Send the key as `Authorization: Bearer sk_live_…`."
KEY_INVALID = "This API key is not valid. Check it was copied whole, or create a new one."
KEY_REVOKED = "This API key was revoked by a school admin. Ask them for a new one."


class ApiClient:
    """The `request.user` of a key-authenticated request: the school's system, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.organisation = api_key.organisation

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


def api_key_for_plaintext(plaintext: str) -> ApiKey | None:
    parts = api_key_split(plaintext)
    if parts is None:
        return None
    prefix, secret = parts
    # Only the school comes along; the key's creator is read when a write needs them
    # (OrganisationAPIMixin.acting_membership).
    api_key = api_key_by_prefix(prefix)
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, api_key_hash(secret)):
        return None
    return api_key


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: HttpRequest) -> tuple[ApiClient, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(KEY_MALFORMED)
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(KEY_MALFORMED) from error
        api_key = api_key_for_plaintext(plaintext)
        if api_key is None:
            raise exceptions.AuthenticationFailed(KEY_INVALID)
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(KEY_REVOKED)
        return ApiClient(api_key), api_key

    def authenticate_header(self, request: HttpRequest) -> str:
        return f'{self.keyword} realm="api"'

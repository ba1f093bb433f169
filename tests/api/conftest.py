"""The API's cast: keys of school A (read, read-write, revoked) and of school B."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiKeyScope
from accounts.scoping import organisation_scope
from accounts.services import api_key_create, api_key_revoke


@dataclass
class Key:
    plaintext: str
    api_key: object

    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.plaintext}")


def _key(school, scope, name="SIS"):
    with organisation_scope(school.organisation):
        api_key, plaintext = api_key_create(
            organisation=school.organisation, name=name, scope=scope, created_by=school.admin.user
        )
    return Key(plaintext, api_key)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key_a(school_a):
    return _key(school_a, ApiKeyScope.READ_WRITE, "SIS sync")


@pytest.fixture
def read_key_a(school_a):
    return _key(school_a, ApiKeyScope.READ, "Reporting")


@pytest.fixture
def revoked_key_a(school_a):
    key = _key(school_a, ApiKeyScope.READ_WRITE, "Old SIS")
    with organisation_scope(school_a.organisation):
        api_key_revoke(api_key=key.api_key)
    return key


@pytest.fixture
def key_b(school_b):
    return _key(school_b, ApiKeyScope.READ_WRITE, "Birch SIS")


@pytest.fixture
def api(key_a):
    return key_a.client()

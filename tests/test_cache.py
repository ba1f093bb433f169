"""The Redis cache (attendance_project/cache.py): counters stay atomic and keep their expiry, and
one Redis client serves every call."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache, caches

from attendance_project.cache import RedisCache

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the Redis cache needs REDIS_URL (the embedded default is local)"
)


@pytest.fixture
def key():
    name = f"test-cache-{uuid.uuid4().hex}"
    yield name
    cache.delete(name)


def test_the_default_cache_is_this_one():
    assert isinstance(caches["default"], RedisCache)


def test_a_counter_counts_and_keeps_its_expiry(key):
    cache.set(key, 1, timeout=120)
    assert cache.incr(key) == 2
    assert cache.incr(key, 5) == 7
    assert cache.get(key) == 7
    raw = cache.make_and_validate_key(key)
    assert 0 < cache._cache.get_client(raw).ttl(raw) <= 120


def test_a_missing_counter_is_not_created(key):
    with pytest.raises(ValueError, match="not found"):
        cache.incr(key)
    assert cache.get(key) is None
    raw = cache.make_and_validate_key(key)
    assert cache._cache.get_client(raw).exists(raw) == 0


def test_every_call_goes_through_one_client(key):
    client = cache._cache.get_client(write=True)
    cache.set(key, "a")
    cache.get(key)
    cache.get_many([key])
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client(write=False) is cache._cache.get_client(write=False)

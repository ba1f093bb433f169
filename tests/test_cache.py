"""The Redis cache (attendance_project/cache.py): counters stay atomic and keep their expiry, and
one Redis client, with its pool of connections, serves every call of the process."""

import contextvars
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
    assert cache._cache.get_client(write=False) is client


def test_every_request_of_the_process_shares_its_connections(key):
    """The server runs each request in a context of its own, where Django builds a new cache
    object; before, each one brought a new pool and a new connection to Redis."""
    ours = caches["default"]._cache.get_client(write=True)

    def in_a_fresh_context() -> object:
        fresh = caches.create_connection("default")
        fresh.set(key, "seen")
        return fresh._cache.get_client(write=True)

    theirs = contextvars.Context().run(in_a_fresh_context)
    assert theirs is ours
    assert cache.get(key) == "seen"

"""Django's Redis cache, with its connections kept for the life of the process.

Django keeps a cache object per thread, but "per thread" is a context variable (asgiref's Local),
and the server runs each HTTP request in a copy of the event loop's context
(attendance_project/asgi.py): every request got a fresh cache object, a fresh connection pool and
so a new TCP connection to Redis, left open until garbage collection. Profiled under load, a
third of the API's time went into connecting. Here the pools are the process's, shared by every
cache object and thread (redis-py's pools and clients are thread-safe).

Also removed, as every API request makes three cache calls (its key, the throttle's read and
its count): a new redis.Redis object for every call, and an `incr` of two round trips.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Adds to a counter that exists, keeping its expiry; nil (None) when there is no such key.
_INCR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('incrby', KEYS[1], ARGV[1])
end
"""

_lock = threading.Lock()
# (server, pool class, options) → (client on its pool, the incr script bound to it)
_clients: dict[tuple, tuple[Any, Any]] = {}


class RedisCacheClient(DjangoRedisCacheClient):
    def _shared(self, write: bool) -> tuple[Any, Any]:
        index = self._get_connection_pool_index(write)
        options = tuple(sorted((name, repr(value)) for name, value in self._pool_options.items()))
        key = (self._servers[index], self._pool_class, options)
        if key not in _clients:
            with _lock:
                if key not in _clients:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = self._client(connection_pool=pool)
                    _clients[key] = (client, client.register_script(_INCR_IF_EXISTS))
        return _clients[key]

    def _get_connection_pool(self, write: bool) -> Any:
        return self._shared(write)[0].connection_pool

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        return self._shared(write)[0]

    def incr(self, key: str, delta: int) -> int:
        # Django asked EXISTS, then INCRBY: two round trips, and a key expiring between them came
        # back as a counter that never expires. One script does both at once.
        client, script = self._shared(write=True)
        value = script(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

"""Django's Redis cache, with its connections kept for the life of the process.

Django keeps a cache object per thread, but "per thread" is a context variable (asgiref's Local),
and the server runs each HTTP request in a copy of the event loop's context
(attendance_project/asgi.py): every request got a fresh cache object, a fresh connection pool and
so a new TCP connection to Redis, left open until garbage collection. Profiled under load, a
third of the API's time went into connecting. Here the pools are the process's, shared by every
cache object and thread (redis-py's pools and clients are thread-safe).

Also removed, as every API request makes two cache calls (its key, and the throttle's check and
count): a new redis.Redis object for every call, an `incr` of two round trips, and the throttle's
read of its counters followed by a separate count (`RedisCache.sliding_window_hit`, one script).
"""

import threading
from typing import Any, NamedTuple

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Adds to a counter that exists, keeping its expiry; nil (None) when there is no such key.
_INCR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('incrby', KEYS[1], ARGV[1])
end
"""

# The sliding window's check and count in one step: KEYS = previous window's counter, current
# window's; ARGV = weight of the previous window, limit, expiry of a new counter in seconds.
# Returns {previous, current, allowed}: the counts as they were before this request, and 1 if it
# was counted. Redis runs a script alone, so two workers cannot both take the last slot. The
# weight arrives as Python's repr of the float and Lua's numbers are doubles, so the comparison
# is the one the generic path makes.
_SLIDING_WINDOW_HIT = """
local previous = tonumber(redis.call('get', KEYS[1])) or 0
local raw = redis.call('get', KEYS[2])
local current = tonumber(raw) or 0
if previous * tonumber(ARGV[1]) + current >= tonumber(ARGV[2]) then
  return {previous, current, 0}
end
if raw then
  redis.call('incr', KEYS[2])
else
  redis.call('set', KEYS[2], 1, 'ex', ARGV[3])
end
return {previous, current, 1}
"""


class _Shared(NamedTuple):
    client: Any
    incr_if_exists: Any  # the scripts, bound to the client
    sliding_window_hit: Any


_lock = threading.Lock()
# (server, pool class, options) → the client on its pool, with its scripts
_clients: dict[tuple, _Shared] = {}


class RedisCacheClient(DjangoRedisCacheClient):
    def _shared(self, write: bool) -> _Shared:
        index = self._get_connection_pool_index(write)
        options = tuple(sorted((name, repr(value)) for name, value in self._pool_options.items()))
        key = (self._servers[index], self._pool_class, options)
        if key not in _clients:
            with _lock:
                if key not in _clients:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = self._client(connection_pool=pool)
                    _clients[key] = _Shared(
                        client,
                        client.register_script(_INCR_IF_EXISTS),
                        client.register_script(_SLIDING_WINDOW_HIT),
                    )
        return _clients[key]

    def _get_connection_pool(self, write: bool) -> Any:
        return self._shared(write).client.connection_pool

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        return self._shared(write).client

    def incr(self, key: str, delta: int) -> int:
        # Django asked EXISTS, then INCRBY: two round trips, and a key expiring between them came
        # back as a counter that never expires. One script does both at once.
        shared = self._shared(write=True)
        value = shared.incr_if_exists(keys=[key], args=[delta], client=shared.client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def sliding_window_hit(
        self, previous_key: str, current_key: str, *, weight: float, limit: int, timeout: int
    ) -> tuple[int, int, bool]:
        # On the primary (write) server, reads included: the check must see the latest count.
        shared = self._shared(write=True)
        previous, current, allowed = shared.sliding_window_hit(
            keys=[previous_key, current_key], args=[weight, limit, timeout], client=shared.client
        )
        return previous, current, bool(allowed)


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def sliding_window_hit(
        self, previous_key: str, current_key: str, *, weight: float, limit: int, timeout: int
    ) -> tuple[int, int, bool]:
        """Counts a request in a sliding window kept as two counters, if the window has room.

        The window holds `previous * weight + current` requests, `weight` being how much of the
        previous window it still covers; at `limit` or more the request is refused and not
        counted. A new counter expires after `timeout` seconds. Returns both counts as they were
        before this request, and whether it was counted: one round trip, atomic.

        accounts.api.sliding_window_hit asks for this method on the cache it is given (apps do
        not import this package) and, on caches without it, reads and counts in separate calls.
        The keys go through this cache's key function (prefix and version) and the counters are
        plain integers, as Django's RedisSerializer stores ints, so `get` reads them.
        """
        return self._cache.sliding_window_hit(
            self.make_and_validate_key(previous_key),
            self.make_and_validate_key(current_key),
            weight=weight,
            limit=limit,
            timeout=timeout,
        )

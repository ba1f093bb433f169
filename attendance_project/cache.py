"""Django's Redis cache with two per-call costs removed.

Every API request makes three cache calls (its key, the throttle's read, the throttle's count);
profiled on the API's benchmark with Redis, they cost 2 ms of CPU a request against 0.7 ms with
the local cache, most of it in the two things changed here.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Adds to a counter that exists, keeping its expiry; nil (None) when there is no such key.
_INCR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('incrby', KEYS[1], ARGV[1])
end
"""


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._incr_scripts: dict[int, Any] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        # Django made a redis.Redis for every call (0.09 ms of CPU each here: redis-py copies its
        # response callbacks). A client is a handle on its connection pool; one per pool will do.
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return self._clients[index]

    def incr(self, key: str, delta: int) -> int:
        # Django asked EXISTS, then INCRBY: two round trips, and a key expiring between them came
        # back as a counter that never expires. One script does both at once.
        client = self.get_client(key, write=True)
        index = self._get_connection_pool_index(True)
        if index not in self._incr_scripts:
            self._incr_scripts[index] = client.register_script(_INCR_IF_EXISTS)
        value = self._incr_scripts[index](keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

"""The throttle's sliding window (accounts.api.sliding_window_hit): on the project's Redis cache
one atomic script, one round trip (attendance_project.cache); on any other cache the generic reads
and counts, with the same answers for the same requests."""

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache

from accounts.api import sliding_window_hit
from attendance_project.cache import RedisCache

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="the Redis script needs REDIS_URL (without it the default cache is LocMemCache)",
)


def _locmem() -> LocMemCache:
    return LocMemCache(f"sliding-window-{uuid.uuid4().hex}", {"KEY_PREFIX": "sw", "VERSION": 3})


def _redis() -> RedisCache:
    # REDIS_URL's database (the benchmarks use 5: point the tests at another), with a prefix and
    # version of its own, so the keys must go through the cache's key function to be found again.
    return RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "sw", "VERSION": 3})


class Window:
    """Two counters under fresh names in one cache, deleted afterwards."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache
        name = f"test-sliding-window-{uuid.uuid4().hex}"
        self.previous, self.current = f"{name}_1", f"{name}_2"

    def hit(
        self, *, weight: float = 1.0, limit: int = 3, timeout: int = 120
    ) -> tuple[int, int, bool]:
        return sliding_window_hit(
            self.cache, self.previous, self.current, weight=weight, limit=limit, timeout=timeout
        )

    def close(self) -> None:
        self.cache.delete_many([self.previous, self.current])


def _window(cache: BaseCache) -> Iterator[Window]:
    window = Window(cache)
    yield window
    window.close()


@pytest.fixture(params=["redis", "locmem"])
def window(request) -> Iterator[Window]:
    if request.param == "redis" and not settings.REDIS_URL:
        pytest.skip(
            "the Redis script needs REDIS_URL (without it the default cache is LocMemCache)"
        )
    yield from _window(_redis() if request.param == "redis" else _locmem())


@pytest.fixture
def redis_window() -> Iterator[Window]:
    yield from _window(_redis())


@pytest.fixture
def locmem_window() -> Iterator[Window]:
    yield from _window(_locmem())


# ----------------------------------------------------------------------------- both paths


def test_it_refuses_at_the_limit_and_counts_nothing_when_refusing(window):
    assert [window.hit(limit=3) for _ in range(5)] == [
        (0, 0, True),
        (0, 1, True),
        (0, 2, True),
        (0, 3, False),
        (0, 3, False),
    ]
    assert window.cache.get(window.current) == 3
    assert window.cache.get(window.previous) is None


def test_the_previous_window_weighs_as_much_as_it_is_still_covered(window):
    window.cache.set(window.previous, 4, timeout=120)
    # 4 * 0.5 + current < 4: room for 2.
    hits = [window.hit(weight=0.5, limit=4) for _ in range(3)]
    assert hits == [(4, 0, True), (4, 1, True), (4, 2, False)]
    # Fully covered, the previous window alone fills the budget; no longer covered, it weighs 0.
    assert window.hit(weight=1.0, limit=4) == (4, 2, False)
    assert window.hit(weight=0.0, limit=4) == (4, 2, True)
    assert window.cache.get(window.previous) == 4  # only the current window is counted
    assert window.cache.get(window.current) == 3


def test_counters_use_the_caches_keys_and_stay_readable(window):
    """Prefix and version come from the cache's key function: `get` finds the counter, and a
    different version does not."""
    window.hit()
    window.hit()
    assert window.cache.get(window.current) == 2
    assert window.cache.get(window.current, version=1) is None
    assert window.cache.get_many([window.current]) == {window.current: 2}


def test_a_new_counter_expires_after_the_timeout(locmem_window):
    start = time.time()
    with time_machine.travel(start, tick=False):
        locmem_window.hit(timeout=120)
    with time_machine.travel(start + 119, tick=False):
        assert locmem_window.hit(timeout=120) == (0, 1, True)  # counting keeps the expiry
    with time_machine.travel(start + 121, tick=False):
        assert locmem_window.cache.get(locmem_window.current) is None


@needs_redis
def test_both_paths_answer_the_same_sequence_alike(redis_window, locmem_window):
    for cache_window in (redis_window, locmem_window):
        cache_window.cache.set(cache_window.previous, 5, timeout=120)
    sequence = [
        (weight, limit) for weight in (1.0, 0.8, 0.4, 1 / 3, 0.1, 0.0) for limit in (3, 5, 7, 9)
    ] * 2
    redis_hits = [redis_window.hit(weight=w, limit=n) for w, n in sequence]
    locmem_hits = [locmem_window.hit(weight=w, limit=n) for w, n in sequence]
    assert redis_hits == locmem_hits
    assert {allowed for _, _, allowed in redis_hits} == {
        True,
        False,
    }  # the sequence meets both answers
    assert redis_window.cache.get(redis_window.current) == locmem_window.cache.get(
        locmem_window.current
    )


# ----------------------------------------------------------------------------- Redis


@needs_redis
def test_the_default_cache_takes_the_script_through_its_proxy(monkeypatch):
    """The throttle holds `django.core.cache.cache`, a proxy, not the RedisCache itself."""
    window = Window(default_cache)
    try:
        window.hit(limit=1)  # the first may connect and load the script
        round_trips = count_round_trips(monkeypatch, default_cache)
        assert window.hit(limit=1) == (0, 1, False)
        assert round_trips.commands == [["EVALSHA"]]
        raw = default_cache.make_and_validate_key(window.current)
        client = default_cache._cache.get_client(write=True)
        assert client.get(raw) == b"1"  # an integer, as Django's RedisSerializer stores it
    finally:
        window.close()


@needs_redis
def test_a_new_counter_gets_the_expiry_and_counting_keeps_it(redis_window):
    redis_window.hit(timeout=120)
    raw = redis_window.cache.make_and_validate_key(redis_window.current)
    client = redis_window.cache._cache.get_client(write=True)
    assert 0 < client.ttl(raw) <= 120
    client.expire(raw, 50)
    redis_window.hit(timeout=120)
    assert 0 < client.ttl(raw) <= 50
    assert redis_window.cache.get(redis_window.current) == 2


class RoundTrips:
    """Counts what this process sends to Redis: one send per round trip (a pipeline, several
    commands in one send, would count once), with the names of the commands in each send."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    @staticmethod
    def names(packed: bytes | list[bytes] | str) -> list[str]:
        data = b"".join(packed) if isinstance(packed, list) else packed
        if isinstance(data, str):
            data = data.encode()
        lines = data.split(b"\r\n")
        # RESP: *<args>, $<length>, <name>, ... for every command in the send.
        return [lines[i + 2].decode() for i, line in enumerate(lines[:-2]) if line[:1] == b"*"]


def count_round_trips(monkeypatch: pytest.MonkeyPatch, cache: BaseCache) -> RoundTrips:
    """From now to the end of the test, every send to Redis on the connections of `cache`'s
    kind (every RedisCache of the process shares them, per server)."""
    counter = RoundTrips()
    connection_class = cache._cache.get_client(write=True).connection_pool.connection_class
    send = connection_class.send_packed_command

    def counting_send(self, command, check_health=True):
        counter.commands.append(counter.names(command))
        return send(self, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", counting_send)
    return counter


@pytest.fixture
def round_trips(monkeypatch, redis_window) -> RoundTrips:
    return count_round_trips(monkeypatch, redis_window.cache)


@needs_redis
def test_a_hit_is_one_round_trip(redis_window, round_trips):
    redis_window.hit()  # the first may connect and load the script
    redis_window.cache.get(redis_window.current)  # the probe counts what goes out
    assert round_trips.commands[-1] == ["GET"]
    round_trips.commands.clear()
    for _ in range(4):  # allowed (creating, then counting), then refused
        redis_window.hit(limit=3)
    assert round_trips.commands == [["EVALSHA"]] * 4


@needs_redis
def test_workers_at_once_never_take_more_than_the_limit(redis_window):
    threads, calls, limit = 8, 50, 100
    start = threading.Barrier(threads)
    allowed = [0] * threads

    def worker(index: int) -> None:
        start.wait()
        for _ in range(calls):
            allowed[index] += redis_window.hit(limit=limit)[2]

    running = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert sum(allowed) == limit
    assert redis_window.cache.get(redis_window.current) == limit

"""The API's throttle: a sliding window of two counters per key, shared by every worker."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts.api import ApiKeyRateThrottle
from tests.test_sliding_window import count_round_trips

BASE = "/api/v1"


def _statuses(client, count):
    return [client.get(f"{BASE}/organisation/").status_code for _ in range(count)]


def test_the_previous_minute_weighs_as_much_of_it_as_the_window_still_covers(
    key_a, school_a, settings
):
    settings.API_THROTTLE_RATE = "4/minute"
    client = key_a.client()
    with time_machine.travel(datetime(2026, 9, 14, 8, 0, 50, tzinfo=UTC), tick=False):
        assert _statuses(client, 5) == [200, 200, 200, 200, 429]
    # A third into the next minute, the last one's 4 requests count for 4 * 2/3: room for 2.
    with time_machine.travel(datetime(2026, 9, 14, 8, 1, 20, tzinfo=UTC), tick=False):
        assert _statuses(client, 2) == [200, 200]
        refused = client.get(f"{BASE}/organisation/")
    assert refused.status_code == 429
    # 2 + 4 * (1 - x) < 4 from x = 1/2 of the minute on: 10 s from 08:01:20.
    assert refused["Retry-After"] == "10"
    with time_machine.travel(datetime(2026, 9, 14, 8, 1, 31, tzinfo=UTC), tick=False):
        assert _statuses(client, 2) == [200, 429]


def test_a_full_window_waits_for_the_next_one(key_a, school_a, settings):
    settings.API_THROTTLE_RATE = "3/hour"
    client = key_a.client()
    with time_machine.travel(datetime(2026, 9, 14, 8, 45, tzinfo=UTC), tick=False):
        assert _statuses(client, 3) == [200, 200, 200]
        refused = client.get(f"{BASE}/organisation/")
    # Nothing from 07:00-08:00; the next window starts at 09:00 with 3 * (1 - x) < 3 at once.
    assert refused["Retry-After"] == str(15 * 60)


def test_the_budget_is_two_small_counters_whatever_the_rate(key_a, school_a, settings):
    settings.API_THROTTLE_RATE = "1000000/minute"
    throttle = ApiKeyRateThrottle()
    key = throttle.cache_format % {
        "scope": throttle.scope,
        "ident": f"key-{key_a.api_key.public_id}",
    }
    now = datetime(2026, 9, 14, 8, 0, 10, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        assert _statuses(key_a.client(), 25) == [200] * 25
        assert cache.get(f"{key}_{int(now.timestamp() // 60)}") == 25
        assert cache.get(key) is None  # no list of request times any more


def test_keys_have_budgets_of_their_own(key_a, key_b, school_a, school_b, settings):
    settings.API_THROTTLE_RATE = "2/minute"
    with time_machine.travel(datetime(2026, 9, 14, 8, 0, 10, tzinfo=UTC), tick=False):
        assert _statuses(key_a.client(), 3) == [200, 200, 429]
        assert _statuses(key_b.client(), 2) == [200, 200]


@pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="the throttle's Redis script needs REDIS_URL (without it the cache is LocMemCache)",
)
def test_on_redis_a_request_asks_for_its_key_then_checks_and_counts_at_once(
    key_a, key_b, school_a, school_b, settings, monkeypatch
):
    settings.API_THROTTLE_RATE = "3/minute"
    now = datetime(2026, 9, 14, 8, 0, 10, tzinfo=UTC)
    counter_a = f"{_throttle_key(key_a)}_{int(now.timestamp() // 60)}"
    counter_b = f"{_throttle_key(key_b)}_{int(now.timestamp() // 60)}"
    client = key_a.client()
    with time_machine.travel(now, tick=False):
        # The first requests look the key up in the database and record its use.
        assert _statuses(client, 2) == [200, 200]
        round_trips = count_round_trips(monkeypatch, cache)
        assert _statuses(client, 2) == [200, 429]
        # Each request: the cached key, then one script that reads, decides and counts.
        assert round_trips.commands == [["GET"], ["EVALSHA"], ["GET"], ["EVALSHA"]]
        assert cache.get(counter_a) == 3  # the refused request is not counted
        assert cache.get(counter_b) is None  # A's requests left B's budget alone
        assert _statuses(key_b.client(), 4) == [200, 200, 200, 429]
    assert cache.get(counter_a) == 3
    assert cache.get(counter_b) == 3


def _throttle_key(key) -> str:
    throttle = ApiKeyRateThrottle()
    return throttle.cache_format % {
        "scope": throttle.scope,
        "ident": f"key-{key.api_key.public_id}",
    }

"""A key and its school are remembered between requests (accounts/api_key_cache.py), yet a
revocation or a change to the school counts from the very next request, in every process."""

from django.core.cache import cache
from django.db import transaction

from accounts.api_key_cache import api_key_by_prefix
from accounts.scoping import organisation_scope
from accounts.services import api_key_revoke

BASE = "/api/v1"


def _use(key, times: int = 3) -> list[int]:
    client = key.client()
    return [client.get(f"{BASE}/organisation/").status_code for _ in range(times)]


def test_a_key_in_use_is_read_from_the_cache(key_a, key_b, django_assert_num_queries):
    assert _use(key_a) == [200, 200, 200]
    assert _use(key_b) == [200, 200, 200]
    with django_assert_num_queries(0):
        assert _use(key_a, 1) == [200]
        assert _use(key_b, 1) == [200]


def test_a_revoked_key_is_refused_at_once_though_it_was_cached(key_a, key_b, school_a):
    assert _use(key_a) == [200, 200, 200]
    with organisation_scope(school_a.organisation):
        api_key_revoke(api_key=key_a.api_key)
    assert _use(key_a, 1) == [401]
    assert _use(key_b, 1) == [200]  # the other school's key is untouched


def test_a_change_to_the_school_reaches_the_next_request(key_a, key_b, school_a, school_b):
    assert _use(key_a) == [200, 200, 200]
    assert _use(key_b) == [200, 200, 200]
    school_a.organisation.name = "Renamed Academy"
    school_a.organisation.timezone = "Asia/Tokyo"
    school_a.organisation.save()
    shown = key_a.client().get(f"{BASE}/organisation/").json()
    assert (shown["name"], shown["timezone"]) == ("Renamed Academy", "Asia/Tokyo")
    assert key_b.client().get(f"{BASE}/organisation/").json()["name"] == (
        school_b.organisation.name
    )


def test_a_request_that_read_the_key_before_its_revocation_committed_cannot_keep_it(
    key_a, school_a, django_capture_on_commit_callbacks
):
    prefix = key_a.api_key.prefix
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        stale = api_key_by_prefix(prefix)
        with organisation_scope(school_a.organisation):
            api_key_revoke(api_key=key_a.api_key)
        # Another request, still seeing the row as it was before the commit, caches it again.
        cache.set(f"api-key:{prefix}", stale)
    assert _use(key_a, 1) == [401]


def test_an_unknown_prefix_is_not_cached(key_a):
    unknown = "sk_live_zzzzzzzz_" + "x" * 43
    response = key_a.client().get(f"{BASE}/organisation/", HTTP_AUTHORIZATION=f"Bearer {unknown}")
    assert response.status_code == 401
    assert cache.get("api-key:sk_live_zzzzzzzz") is None

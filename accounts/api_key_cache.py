"""API keys, with their school, cached by prefix for the requests that present them.

Every API request looks its key up; through the ORM that took about 1.5 ms of CPU, a sixth of a
whole attendance-list request (tests/benchmarks/bench_api.py). The entry lives in the default
cache (Redis when configured, so every process shares it and a revocation reaches them all) and
is dropped whenever the key or its school is saved or deleted (accounts/signals.py), both at once
and when the transaction commits, so a request that read the old row meanwhile cannot keep it.
CACHE_SECONDS bounds what a change made around the models (a queryset update, raw SQL) leaves.

Only keys that exist are cached; a prefix nobody was given is looked up every time, so strangers
cannot fill the cache.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from accounts.models import ApiKey

CACHE_SECONDS = 60


def _cache_key(prefix: str) -> str:
    return f"api-key:{prefix}"


def api_key_by_prefix(prefix: str) -> ApiKey | None:
    """The key with this prefix and its school, or None. Asked before any scope exists: by the
    unique prefix, through the base manager (like accounts.scoping.membership_for_user)."""
    api_key = cache.get(_cache_key(prefix))
    if api_key is None:
        api_key = ApiKey._base_manager.select_related("organisation").filter(prefix=prefix).first()
        if api_key is not None:
            cache.set(_cache_key(prefix), api_key, CACHE_SECONDS)
    return api_key


def api_keys_forget_school(organisation_id: int) -> None:
    """Drop the entries of every key of this school: they carry it (its time zone, its mapping)."""
    keys = ApiKey._base_manager.filter(organisation_id=organisation_id)
    api_keys_forget(keys.values_list("prefix", flat=True))


def api_keys_forget(prefixes: Iterable[str]) -> None:
    """Drop these keys' entries now and again after the current transaction commits."""
    keys = [_cache_key(prefix) for prefix in prefixes]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))

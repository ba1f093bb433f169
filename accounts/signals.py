"""Keeps the API key cache (accounts/api_key_cache.py) in step with the rows it copies."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.api_key_cache import api_keys_forget, api_keys_forget_school
from accounts.models import ApiKey, Organisation


@receiver([post_save, post_delete], sender=ApiKey, dispatch_uid="api_key_cache.key")
def _api_key_changed(sender: type[ApiKey], instance: ApiKey, **kwargs: Any) -> None:
    api_keys_forget([instance.prefix])


@receiver([post_save, post_delete], sender=Organisation, dispatch_uid="api_key_cache.school")
def _school_changed(sender: type[Organisation], instance: Organisation, **kwargs: Any) -> None:
    api_keys_forget_school(instance.pk)

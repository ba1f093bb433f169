"""GET /healthz: whether the parts this process depends on answer, for probes and people."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from attendance_project.celery import app as celery_app


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return f"error: {type(error).__name__}"
    return f"ok ({connection.vendor})"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "embedded"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return f"error: {type(error).__name__}"
    return "ok"


def _celery() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        replies = celery_app.control.ping(timeout=0.5)
    except Exception as error:
        return f"error: {type(error).__name__}"
    return f"ok ({len(replies)} workers)" if replies else "no workers"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "redis": _redis(), "celery": _celery()}
    healthy = not any(value.startswith("error") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )

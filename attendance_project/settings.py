"""One settings module, driven by the environment.

Without any environment the platform runs embedded: SQLite, an in-memory channel layer and eager
Celery, so a newcomer needs nothing but `make run`. `DATABASE_URL` and `REDIS_URL` switch to
PostgreSQL and Redis (with a Celery worker); production adds SECRET_KEY, DEBUG=false, ALLOWED_HOSTS.
"""

import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in {"true", "1", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules

DEBUG = envbool("DEBUG", "true")
# The development key is only accepted while DEBUG is on; `check --deploy` refuses it otherwise.
SECRET_KEY = os.getenv("SECRET_KEY", "django-insecure-development-only-key")
if not DEBUG and SECRET_KEY.startswith("django-insecure"):
    raise RuntimeError("Set SECRET_KEY (50+ random characters) when DEBUG is off.")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",  # first, so `runserver` serves ASGI (HTTP and WebSockets) in one process.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "accounts",
    "records",
    "recognition",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.OrganisationScopeMiddleware",
    "accounts.middleware.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "attendance_project.urls"
ASGI_APPLICATION = "attendance_project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
            ],
        },
    },
]

# Threads per server process that run HTTP requests (attendance_project/asgi.py); each holds at
# most one database connection, so keep it at or below DATABASE_POOL_MAX_SIZE. More threads let
# slow requests (a long export, an enrolment upload) overlap, but share one interpreter: on the
# API benchmark 2 threads served 175-201 requests/s, 4 served 156-192 and 8 served 85-162.
HTTP_THREADS = envint("HTTP_THREADS", "4")

DATABASE_URL = os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
# No persistent connections: under ASGI, synchronous code (then every request, now the sockets'
# database calls) runs in threads that come and go, and CONN_MAX_AGE > 0 left an open connection
# behind in every finished thread until PostgreSQL answered "too many clients". On PostgreSQL a
# pool per process gives the reuse back: a request borrows a connection and returns it when it
# ends (Django closes it at CONN_MAX_AGE=0).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
# Per process (each uvicorn or daphne worker, each Celery worker): keep the sum over all processes
# below PostgreSQL's max_connections (100 by default). 0 turns the pool off, e.g. behind PgBouncer.
DATABASE_POOL_MAX_SIZE = envint("DATABASE_POOL_MAX_SIZE", "10")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite is the embedded default; WAL lets the ASGI server and a reader work at once.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;"}
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_POOL_MAX_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "pool": {
                "min_size": min(2, DATABASE_POOL_MAX_SIZE),
                "max_size": DATABASE_POOL_MAX_SIZE,
                # A request that cannot get a connection within 10 s fails (a 500), not hangs.
                "timeout": 10,
            },
            # Prepared statements, planned once: PostgreSQL spent longer planning the attendance
            # list's query (2.4 ms) than running it (0.9 ms), on every request. A connection
            # prepares a query the 5th time it sees it; left to choose, PostgreSQL still planned
            # each call (custom plans only, in pg_prepared_statements), so the generic plan is
            # forced: queries here read one school's slice, mostly through an index, where one plan
            # suits every school (a report that turns slow is where to look first if one does
            # not). Prepared statements need a connection of our own: with the pool only (not
            # behind PgBouncer in transaction mode, which is what DATABASE_POOL_MAX_SIZE=0 is for).
            "server_side_binding": True,
            "prepare_threshold": 5,
            "options": "-c plan_cache_mode=force_generic_plan",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing at full strength would make every login in the suite cost ~0.3 s.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# In development WhiteNoise serves straight from the source folders; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Manifest storage needs `collectstatic` first; tests and DEBUG use plain storage.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Face photos and models are private: they live outside any URL and are streamed by views that
# check the organisation and role.
PRIVATE_STORAGE_ROOT = Path(os.getenv("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private")))

REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's, with a receive that stops when cancelled on Python 3.11.
            "BACKEND": "attendance_project.channel_layer.RedisChannelLayer",
            # channels_redis waits for messages with a BZPOPMIN of up to 5 s; redis-py 8 gives
            # every socket a 5 s read timeout, so an idle consumer died with TimeoutError
            # (close 1011) within a minute. A longer read timeout still notices a dead Redis.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
    CACHES = {"default": {"BACKEND": "attendance_project.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A broker that is down must not hang a web request: fail fast, the outbox retries later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "socket_connect_timeout": 2}
# The result store too: apply_async subscribes to the task's result on Redis before it publishes,
# and the Redis result backend's default retry policy (20 retries, 1 s apart) held an enrolment
# upload for 19 s while Redis was down (tests/recognition/test_broker_outage.py).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1}}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_TIMEZONE = "UTC"
# Model builds have their own queue, so a burst of them never delays small tasks.
CELERY_TASK_ROUTES = {"recognition.tasks.retrain_organisation": {"queue": "retrain"}}
WORKER_QUEUES = ["celery", "retrain"]  # what `make run` and the test worker consume

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false" if DEBUG else "true")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "accounts.renderers.ApiJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}

# Periodic work (run with `celery -A attendance_project worker -B`, as `make run` does):
# re-enqueue model rebuilds a broker outage left waiting, and erase expired biometric data.
CELERY_BEAT_SCHEDULE = {
    "sweep-rebuild-requests": {
        "task": "recognition.tasks.sweep_all_organisations",
        "schedule": 60.0,
    },
    "erase-expired-biometrics": {
        "task": "recognition.tasks.erase_expired_biometrics",
        "schedule": 6 * 3600.0,
    },
}


# --- REST API (issue 8) ---
# Owned by the REST API; nobody else edits this block. /api/v1 for student information systems.
INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
# Per API key (or admin login), in the default cache: "<n>/second|minute|hour|day".
API_THROTTLE_RATE = os.getenv("API_THROTTLE_RATE", "1200/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Attendance API",
    "DESCRIPTION": (
        "For student information systems: rosters in, attendance out, webhooks when it changes.\n\n"
        "**Authentication**: `Authorization: Bearer sk_live_…`, an organisation API key that a "
        "school admin creates under *API keys* (read, or read-write).\n\n"
        "**Errors** always have one shape: "
        '`{"error": {"code": "invalid", "message": "…", "fields": {"name": ["…"]}}}`. '
        "Unknown fields and unknown query parameters are refused (400). Ids of objects that do "
        "not belong to the key's school are refused like unknown ids (400 in a payload, 404 in "
        "a path).\n\n"
        "**Pagination**: lists return `count`, `next`, `previous`, `results` (`page`, "
        "`page_size` ≤ 200); attendance and its Ed-Fi export use a cursor (`next`, `poll`).\n\n"
        "**Throttling**: per key; over the limit the answer is 429 with `Retry-After`.\n\n"
        "**Webhooks** (registered by an admin) follow Standard Webhooks: headers `webhook-id`, "
        "`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "
        "id.timestamp.body>`, keyed with the base64 part of the `whsec_` secret."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AttendanceStatusEnum": "records.models.AttendanceStatus",
        "AttendanceSourceEnum": "records.models.AttendanceSource",
        "SessionStatusEnum": "records.models.SessionStatus",
    },
}
# Webhooks: seconds before the first retry (doubling each time) and attempts before giving up.
WEBHOOK_RETRY_BASE_SECONDS = envint("WEBHOOK_RETRY_BASE_SECONDS", "30")
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", "8")
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", "5")
# SSRF guard: webhook hosts that resolve to loopback, private, link-local, multicast or reserved
# addresses are refused, at registration and again before every delivery (DNS rebinding).
# The tests deliver to a receiver on 127.0.0.1, so they allow it; production never should.
WEBHOOK_ALLOW_PRIVATE_HOSTS = envbool("WEBHOOK_ALLOW_PRIVATE_HOSTS", "true" if TESTING else "false")

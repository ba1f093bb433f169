"""The project's settings with one change for bench_api.py's servers: no persistent connections.

Django's ASGI handler runs each request's synchronous code in a thread of its own, so a
persistent connection (CONN_MAX_AGE=60 in attendance_project/settings.py) is opened per request
and left behind in a finished thread; under load PostgreSQL soon answers "too many clients" and
the API 500s. Until the project's settings change (CONN_MAX_AGE=0 under ASGI, or psycopg's
connection pool), the bench measures with CONN_MAX_AGE=0; `--as-configured` measures without.
"""

from attendance_project.settings import *  # noqa: F403
from attendance_project.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0

"""ASGI entry point, one process for both protocols: WebSockets through Channels, HTTP through
Django's WSGI handler on a pool of threads (attendance_project/wsgi_threads.py).

Every HTTP view here is synchronous (the ORM, DRF). Django's own ASGI handler runs them on one
thread per process, hopping to and from the event loop around each request, so a process waited on
one query at a time; measured on the API's list (tests/benchmarks/bench_api.py), it cost 13 ms of
CPU a request against 9 ms through the WSGI handler, and served a fifth fewer requests. On a
thread of its own, a request also opens and closes its database connection on that same thread.

The WSGI handler does not stop a response when its client goes away: a long CSV export is read to
its end (Django's ASGI handler cancelled it). Each request runs in a copy of the event loop's
context, so anything Django keeps "per thread" in a context variable is made afresh per request
(see attendance_project/cache.py for the one that cost).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")
# Django must be set up before anything imports models (consumers do).
django_http = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from attendance_project.routing import websocket_urlpatterns  # noqa: E402
from attendance_project.wsgi_threads import WSGIThreads  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WSGIThreads(django_http, threads=settings.HTTP_THREADS),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

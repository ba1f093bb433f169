"""HTTP for the ASGI server through Django's WSGI handler, on a pool of threads.

a2wsgi's adapter, which this replaces, passed every part of a response from the thread to the
event loop through a queue and a task made for each request: for a page of the API, three round
trips between the thread and the loop, a quarter of the server's Python time under load
(sampled with py-spy on tests/benchmarks/bench_api.py). Here a response Django already holds
whole (every one but a StreamingHttpResponse) goes back to the loop once, with the thread's
return; a streamed one is sent part by part from its thread, each part waiting until the server
has taken it, so a slow client holds back the reading of a long export instead of filling memory.
The whole response is read on one thread: Django's database connections belong to a thread, and
a streamed export reads its rows through one of them as it goes.

The request's body and environ come from a2wsgi (its `Body` reads the body from the thread as
Django asks for it, without holding a whole upload in memory).
"""

import asyncio
import contextvars
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.wsgi import Body, build_environ

Message = dict[str, Any]
Send = Callable[[Message], Any]
Headers = list[tuple[bytes, bytes]]


class WSGIThreads:
    """An ASGI app for HTTP that runs a WSGI app on `threads` threads."""

    def __init__(self, app: Callable[..., Iterable[bytes]], threads: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"WSGIThreads serves HTTP, not {scope['type']!r}")
        loop = asyncio.get_running_loop()
        environ = build_environ(scope, Body(loop, receive))
        # The request runs in a copy of the loop's context, as Django's own handlers do.
        respond = functools.partial(contextvars.copy_context().run, self.respond)
        whole = await loop.run_in_executor(self.executor, respond, environ, send, loop)
        if whole is not None:
            status, headers, body = whole
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    def respond(
        self, environ: dict[str, Any], send: Send, loop: asyncio.AbstractEventLoop
    ) -> tuple[int, Headers, bytes] | None:
        """On a thread: the response whole, or None once it has been streamed."""
        started: list[tuple[int, Headers]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [(int(status.split(" ", 1)[0]), encoded(headers))]
            return self.refuse_write

        def send_now(message: Message) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        iterable = self.app(environ, start_response)
        try:
            if getattr(iterable, "streaming", True) is False:  # Django holds the body whole
                body = b"".join(iterable)
                return *started[0], body
            status, headers = started[0]
            send_now({"type": "http.response.start", "status": status, "headers": headers})
            for part in iterable:
                if part:
                    send_now({"type": "http.response.body", "body": part, "more_body": True})
            send_now({"type": "http.response.body", "body": b""})
            return None
        finally:
            getattr(iterable, "close", lambda: None)()  # Django's request_finished: connections

    @staticmethod
    def refuse_write(data: bytes) -> None:
        raise NotImplementedError("the WSGI write() callable is not supported; return the body")


def encoded(headers: list[tuple[str, str]]) -> Headers:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]

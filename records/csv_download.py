"""CSV downloads that stream under WSGI and ASGI alike.

Under ASGI, Django cannot iterate a synchronous iterator on the event loop, so it reads one whole
before sending a byte: a year's export sat in the server's memory. Here, under ASGI, the rows are
pulled in batches through sync_to_async on the request's own thread (the same database connection,
so the query's server-side cursor goes on) and each batch is sent as it comes.
"""

import csv
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from itertools import islice

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

BATCH_ROWS = 500  # one thread hop per 500 rows: cheap, and a batch is a few tens of KB


class _Echo:
    """csv.writer writes into this and hands the line back, so rows are written one at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]], header: Sequence[str] = ()) -> Iterator[str]:
    writer = csv.writer(_Echo())
    if header:
        yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


async def _batches(lines: Iterator[str]) -> AsyncIterator[str]:
    take = sync_to_async(lambda: "".join(islice(lines, BATCH_ROWS)), thread_sensitive=True)
    while batch := await take():
        yield batch


def csv_download(
    request: HttpRequest,
    rows: Iterable[Iterable[object]],
    filename: str,
    *,
    header: Sequence[str] = (),
) -> StreamingHttpResponse:
    """An attachment streamed row by row; `rows` is iterated only as the response is sent."""
    lines = csv_lines(rows, header)
    content = _batches(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

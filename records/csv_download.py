"""CSV downloads streamed a batch of rows at a time.

The rows are read only as the response is sent, so a year's export never sits whole in the
server's memory. Each batch is one part of the response: the server (attendance_project/asgi.py)
hands every part from the request's thread to the event loop, so a part per line would cost a
thread hop per row.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.http import StreamingHttpResponse

BATCH_ROWS = 500  # a batch is a few tens of KB


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


def _batches(lines: Iterator[str]) -> Iterator[str]:
    while batch := "".join(islice(lines, BATCH_ROWS)):
        yield batch


def csv_download(
    rows: Iterable[Iterable[object]], filename: str, *, header: Sequence[str] = ()
) -> StreamingHttpResponse:
    """An attachment streamed in batches; `rows` is iterated only as the response is sent."""
    response = StreamingHttpResponse(
        _batches(csv_lines(rows, header)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

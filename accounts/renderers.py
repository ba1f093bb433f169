"""The API's JSON, written by orjson, byte for byte as DRF's JSONRenderer writes it.

With the attendance list's query compiled once (accounts/compiled_query.py), writing a page of
100 records with the standard library's json was the largest single cost left in a request
(profiled under load: an eighth of the server's Python time). orjson writes the same compact
UTF-8; what it would write differently goes to DRF's own encoder (datetimes, Decimals, lazy
strings, querysets), and a pretty-printed response (`Accept: application/json; indent=4`, the
browsable API) is left to DRF. One difference: a float that is not a number (NaN, infinity),
which DRF refuses with an error, is written as null.
"""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer

# DRF escapes these two, so that a response is also valid JavaScript; orjson leaves them raw.
LINE_SEPARATOR, PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()
OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


class ApiJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self.encoder_class().default, option=OPTIONS)
        except orjson.JSONEncodeError:
            # What orjson refuses and json writes (an integer beyond 64 bits, say): DRF's way.
            return super().render(data, accepted_media_type, renderer_context)
        if LINE_SEPARATOR in body or PARAGRAPH_SEPARATOR in body:
            body = body.replace(LINE_SEPARATOR, b"\\u2028").replace(PARAGRAPH_SEPARATOR, b"\\u2029")
        return body

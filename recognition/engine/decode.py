"""Bytes from outside → a BGR image, in one function with limits.

Width and height are read from the file header before a single pixel is decoded, so a
decompression bomb (a few KB of PNG claiming 20,000 x 20,000 pixels) is refused in microseconds
and without allocating its pixels. Truncated files are refused rather than decoded into a half
grey picture, which is what libjpeg would otherwise hand back with only a warning.
"""

import re
import struct
from dataclasses import dataclass

import cv2
import numpy as np

from recognition.engine.errors import ImageRejected

MAX_BYTES = 10_000_000
MAX_PIXELS = 25_000_000

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers without a length field.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_PNM_HEADER = re.compile(rb"\AP([1-6])(?:\s+|#[^\n]*\n)+")
_PNM_TOKEN = re.compile(rb"(?:\s|#[^\n]*\n)*(\d+)")

# Types we recognise but do not take: say so instead of calling them "not an image".
_UNSUPPORTED = (
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "Photoshop"),
)
_ISO_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF"}


@dataclass(frozen=True)
class ImageHeader:
    kind: str
    width: int
    height: int


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _truncated(kind: str) -> ImageRejected:
    return ImageRejected(
        "truncated",
        f"The {kind} file is incomplete (it ends before the picture does); upload it again.",
    )


def _png_header(data: bytes) -> ImageHeader:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise _truncated("PNG")
    width, height = struct.unpack(">II", data[16:24])
    return ImageHeader("PNG", width, height)


def _jpeg_header(data: bytes) -> ImageHeader:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ImageRejected("not_an_image", "The JPEG file is damaged; upload another photo.")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SOF:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return ImageHeader("JPEG", width, height)
        if marker in (0xD9, 0xDA):  # end of image, or pixels before any frame header
            break
        position += 2 + length
    raise _truncated("JPEG")


def _gif_header(data: bytes) -> ImageHeader:
    if len(data) < 10:
        raise _truncated("GIF")
    width, height = struct.unpack("<HH", data[6:10])
    return ImageHeader("GIF", width, height)


def _bmp_header(data: bytes) -> ImageHeader:
    if len(data) < 26:
        raise _truncated("BMP")
    (dib_size,) = struct.unpack("<I", data[14:18])
    if dib_size == 12:  # OS/2 BITMAPCOREHEADER
        width, height = struct.unpack("<HH", data[18:22])
    else:
        width, height = struct.unpack("<ii", data[18:26])
    return ImageHeader("BMP", abs(width), abs(height))


def _pnm_header(data: bytes) -> tuple[ImageHeader, int, int, int]:
    """(header, variant 1..6, maxval, offset of the pixel data)."""
    match = _PNM_HEADER.match(data)
    if match is None:
        raise _truncated("PNM")
    variant = int(match.group(1))
    position = 2  # after "P<n>"; the tokens skip whitespace and comments
    values = []
    wanted = 2 if variant in (1, 4) else 3
    for _ in range(wanted):
        token = _PNM_TOKEN.match(data, position)
        if token is None:
            raise _truncated("PNM")
        values.append(int(token.group(1)))
        position = token.end()
    maxval = values[2] if wanted == 3 else 1
    return ImageHeader("PNM", values[0], values[1]), variant, maxval, position + 1


def _webp_header(data: bytes) -> ImageHeader:
    if len(data) < 30:
        raise _truncated("WebP")
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        width = 1 + (bits & 0x3FFF)
        height = 1 + ((bits >> 14) & 0x3FFF)
    elif chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        width, height = width & 0x3FFF, height & 0x3FFF
    else:
        raise ImageRejected("not_an_image", "The WebP file is damaged; upload another photo.")
    return ImageHeader("WebP", width, height)


def read_header(data: bytes) -> ImageHeader:
    """The type and size of an image from its first bytes; never decodes pixels."""
    if data.startswith(_PNG_SIGNATURE):
        return _png_header(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_header(data)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif_header(data)
    if data.startswith(b"BM") and len(data) >= 14:
        return _bmp_header(data)
    if _PNM_HEADER.match(data[:64]) is not None:
        return _pnm_header(data)[0]
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_header(data)
    for magic, kind in _UNSUPPORTED:
        if data.startswith(magic):
            raise _unsupported(kind)
    if data[4:8] == b"ftyp" and data[8:12] in _ISO_BRANDS:
        raise _unsupported(_ISO_BRANDS[data[8:12]])
    raise ImageRejected(
        "not_an_image", "The file is not an image; upload a JPEG or PNG photo of the face."
    )


def _unsupported(kind: str) -> ImageRejected:
    return ImageRejected(
        "unsupported_type",
        f"{kind} files are not supported; save the photo as JPEG or PNG and upload it again.",
    )


def _check_complete(data: bytes, header: ImageHeader) -> None:
    """Refuse files that end early. Decoders fill missing rows with grey and only warn."""
    if header.kind == "JPEG":
        scan = data.find(b"\xff\xda")
        if scan < 0 or data.rfind(b"\xff\xd9") < scan:
            raise _truncated("JPEG")
    elif header.kind == "PNG":
        if data.rfind(b"IEND") < 0:
            raise _truncated("PNG")
    elif header.kind == "GIF":
        if not data.rstrip(b"\x00").endswith(b";"):
            raise _truncated("GIF")
    elif header.kind == "BMP":
        (declared,) = struct.unpack("<I", data[2:6])
        if declared > len(data):
            raise _truncated("BMP")
    elif header.kind == "PNM":
        _, variant, maxval, offset = _pnm_header(data)
        if variant >= 4:  # binary variants have a known size
            channels = 3 if variant == 6 else 1
            sample = 2 if maxval > 255 else 1
            row = (header.width + 7) // 8 if variant == 4 else header.width * channels * sample
            if len(data) - offset < row * header.height:
                raise _truncated("PNM")


def decode_image(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Decode an uploaded or captured image to BGR uint8 HxWx3, or raise ImageRejected.

    Supported: JPEG (EXIF orientation applied), PNG, GIF (first frame), BMP, PGM/PPM/PBM, WebP.
    Greyscale, 16-bit and alpha inputs come out as 8-bit BGR.
    """
    if not data:
        raise ImageRejected("empty", "The file is empty; choose a photo and upload it again.")
    if len(data) > max_bytes:
        raise ImageRejected(
            "too_large_bytes",
            f"The image is {_mb(len(data))}; the limit is {_mb(max_bytes)}. "
            "Save a smaller copy (about 1,000 pixels across is plenty) and upload that.",
        )
    header = read_header(data)
    if header.width <= 0 or header.height <= 0:
        raise ImageRejected("not_an_image", "The image says it has no pixels; it is damaged.")
    pixels = header.width * header.height
    if pixels > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The image is {header.width} x {header.height} pixels "
            f"({pixels / 1_000_000:.1f} megapixels); the limit is "
            f"{max_pixels / 1_000_000:.0f} megapixels. Save a smaller copy and upload that.",
        )
    _check_complete(data, header)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise _truncated(header.kind)
    return image

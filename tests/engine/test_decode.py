"""decode_image: every refusal with its reason, and the odd inputs that must still decode."""

import struct
import time
import tracemalloc
import zlib

import cv2
import numpy as np
import pytest

from recognition.engine.decode import decode_image, read_header
from recognition.engine.errors import ImageRejected


def encode(image: np.ndarray, ext: str, params: list[int] | None = None) -> bytes:
    if ext == ".pgm" and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    ok, data = cv2.imencode(ext, image, params or [])
    assert ok
    return data.tobytes()


def photo_like(height: int = 120, width: int = 160) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def refusal(data: bytes, **limits) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        decode_image(data, **limits)
    assert caught.value.message  # a sentence for the admin, never empty
    return caught.value


def test_empty_bytes_are_refused_as_empty():
    assert refusal(b"").code == "empty"


def test_random_bytes_are_refused_as_not_an_image():
    data = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    error = refusal(data)
    assert error.code == "not_an_image"
    assert "not an image" in error.message


def test_a_tiff_is_refused_as_unsupported_type_with_its_name():
    error = refusal(encode(photo_like(), ".tiff"))
    assert error.code == "unsupported_type"
    assert "TIFF" in error.message


def test_an_11_mb_payload_is_refused_before_anything_else():
    error = refusal(b"\xff\xd8\xff" + bytes(11_000_000))
    assert error.code == "too_large_bytes"
    assert "11.0 MB" in error.message
    assert "10.0 MB" in error.message


def test_png_bomb_header_is_refused_before_decoding():
    data = png_header_only(20_000, 20_000)
    tracemalloc.start()
    started = time.perf_counter()
    error = refusal(data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert error.code == "too_many_pixels"
    assert "20000 x 20000" in error.message
    assert elapsed < 0.05
    assert peak < 1_000_000  # the 1.2 GB of pixels were never allocated


@pytest.mark.parametrize("ext", [".jpg", ".gif", ".bmp", ".pgm"])
def test_pixel_limit_is_read_from_every_supported_header(ext):
    data = encode(photo_like(100, 200), ext)
    assert read_header(data).width == 200
    assert read_header(data).height == 100
    assert refusal(data, max_pixels=19_999).code == "too_many_pixels"


def test_truncated_jpeg_is_refused_as_truncated():
    data = encode(photo_like(), ".jpg")
    error = refusal(data[: len(data) // 2])
    assert error.code == "truncated"
    assert "incomplete" in error.message


def test_jpeg_cut_inside_its_header_is_truncated():
    assert refusal(encode(photo_like(), ".jpg")[:40]).code == "truncated"


@pytest.mark.parametrize("ext", [".png", ".gif", ".bmp", ".pgm"])
def test_other_truncated_files_are_refused(ext):
    data = encode(photo_like(), ext)
    assert refusal(data[: len(data) * 2 // 3]).code == "truncated"


def test_a_one_pixel_image_decodes():
    image = decode_image(encode(np.full((1, 1, 3), 200, np.uint8), ".png"))
    assert image.shape == (1, 1, 3)


def test_greyscale_png_decodes_to_three_channels():
    grey = np.tile(np.arange(64, dtype=np.uint8), (48, 1))
    image = decode_image(encode(grey, ".png"))
    assert image.shape == (48, 64, 3)
    assert image.dtype == np.uint8
    assert (image[:, :, 0] == grey).all()


def test_rgba_png_decodes_to_three_channels():
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[..., 2] = 255
    rgba[..., 3] = 128
    image = decode_image(encode(rgba, ".png"))
    assert image.shape == (30, 40, 3)
    assert (image[..., 2] == 255).all()


def test_sixteen_bit_png_decodes_to_eight_bits():
    image = decode_image(encode(np.full((8, 8), 65535, np.uint16), ".png"))
    assert image.dtype == np.uint8
    assert image.shape == (8, 8, 3)


@pytest.mark.parametrize("ext", [".gif", ".bmp", ".pgm", ".ppm", ".jpg", ".webp"])
def test_each_supported_type_decodes(ext):
    source = photo_like(40, 50)
    image = decode_image(encode(source, ext))
    assert image.shape == (40, 50, 3)

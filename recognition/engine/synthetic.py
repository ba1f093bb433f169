"""Classroom-like frames composed from portrait photos, and webcam-like degradation.

For tests, benchmarks and browser fixtures: real faces at known places and sizes, without
shipping a single photo. Faces are pasted on a grid, one per cell, with a margin of their own
photo around them so that the detector sees head and shoulders, not a cut-out.
"""

import math
from collections.abc import Sequence

import cv2
import numpy as np

from recognition.engine.types import Box, Face

# The pasted region around a face box, as multiples of the box (YuNet boxes are tight).
CROP_WIDTH = 1.7
CROP_HEIGHT = 1.6


def _portrait(image: np.ndarray, face: Face) -> tuple[np.ndarray, Box]:
    """The face with a margin of its own photo, and the face box inside that crop."""
    x, y, w, h = face.box
    cx, cy = x + w / 2, y + h / 2
    half_w, half_h = CROP_WIDTH * w / 2, CROP_HEIGHT * h / 2
    x0, y0 = max(0, round(cx - half_w)), max(0, round(cy - half_h))
    x1, y1 = min(image.shape[1], round(cx + half_w)), min(image.shape[0], round(cy + half_h))
    return image[y0:y1, x0:x1], (x - x0, y - y0, w, h)


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    width, height = size
    ramp = np.linspace(90, 170, width, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (height, width, 3)) + rng.normal(0, 6, (height, width, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def compose_scene(
    portraits: Sequence[tuple[np.ndarray, Face]],
    *,
    size: tuple[int, int] = (640, 480),
    face_heights: int | Sequence[int] = 120,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, list[Box]]:
    """A BGR frame of `size` (width, height) with each portrait's face pasted at the given height.

    Returns the frame and where each face was placed, in the order given. Faces that would not
    fit their grid cell are shrunk to fit.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    width, height = size
    count = len(portraits)
    heights = [face_heights] * count if isinstance(face_heights, int) else list(face_heights)
    if len(heights) != count:
        raise ValueError("Give one face height per portrait.")
    columns = max(1, math.ceil(math.sqrt(count * width / height)))
    rows = max(1, math.ceil(count / columns))
    cell_w, cell_h = width // columns, height // rows
    scene = _background(size, rng)
    placed: list[Box] = []
    for slot, ((image, face), face_height) in enumerate(zip(portraits, heights, strict=True)):
        crop, (fx, fy, fw, fh) = _portrait(image, face)
        scale = face_height / fh
        scale = min(scale, cell_w / crop.shape[1], cell_h / crop.shape[0])
        new_w, new_h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
        row, column = divmod(slot, columns)
        free_x, free_y = cell_w - new_w, cell_h - new_h
        left = column * cell_w + int(rng.integers(0, free_x + 1))
        top = row * cell_h + int(rng.integers(0, free_y + 1))
        scene[top : top + new_h, left : left + new_w] = crop
        placed.append(
            (
                left + round(fx * scale),
                top + round(fy * scale),
                round(fw * scale),
                round(fh * scale),
            )
        )
    return scene, placed


def degrade(
    image: np.ndarray,
    *,
    scale: float = 1.0,
    blur_sigma: float = 0.0,
    noise_sigma: float = 0.0,
    jpeg_quality: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """A webcam-like copy: downscaled and back, blurred, sensor noise, JPEG artefacts."""
    rng = rng if rng is not None else np.random.default_rng(0)
    height, width = image.shape[:2]
    out = image
    if scale != 1.0:
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        out = cv2.resize(out, small, interpolation=cv2.INTER_AREA)
        out = cv2.resize(out, (width, height), interpolation=cv2.INTER_LINEAR)
    if blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur_sigma)
    if noise_sigma > 0:
        noisy = out.astype(np.float32) + rng.normal(0, noise_sigma, out.shape)
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        if ok:
            out = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return out

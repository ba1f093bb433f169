"""Frames analysed in worker processes, so the ASGI event loop never waits on a face.

dlib holds the GIL while it computes a descriptor (~100 ms a face here), so a thread pool
would freeze every socket of the process; a small process pool does not. This module imports
no Django: spawned workers load only the engine.
"""

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from recognition.engine.decode import decode_image
from recognition.engine.engines import get_engine
from recognition.engine.types import Face

# A webcam frame is small; anything bigger is not from our page (the socket also refuses it).
MAX_FRAME_BYTES = 300_000
MAX_FRAME_PIXELS = 1920 * 1080

_pool: ProcessPoolExecutor | None = None


@dataclass(frozen=True)
class FrameAnalysis:
    faces: list[Face]
    embeddings: np.ndarray  # (faces, dim) float32
    width: int
    height: int
    ms: float


def analyse_frame(data: bytes) -> FrameAnalysis:
    """Decode (with limits) → detect every face → embed each. Runs in a worker process."""
    started = time.perf_counter()
    image = decode_image(data, max_bytes=MAX_FRAME_BYTES, max_pixels=MAX_FRAME_PIXELS)
    engine = get_engine()
    faces = engine.detect(image)
    embeddings = engine.embed(image, faces) if faces else np.zeros((0, engine.dim), np.float32)
    height, width = image.shape[:2]
    return FrameAnalysis(faces, embeddings, width, height, (time.perf_counter() - started) * 1e3)


def _warm_up() -> None:
    get_engine()  # load the weights once per worker, before the first frame waits on them


def frame_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The process-wide pool, bounded: more cameras than workers shed frames, never queue."""
    global _pool
    if _pool is None:
        count = workers or int(os.environ.get("RECOGNITION_WORKERS", "1"))
        # spawn: forking a process that runs an event loop and threads is not safe.
        _pool = ProcessPoolExecutor(
            max_workers=count, mp_context=get_context("spawn"), initializer=_warm_up
        )
    return _pool

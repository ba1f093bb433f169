"""Frames analysed in worker processes, so the ASGI event loop never waits on a face.

dlib holds the GIL while it computes a descriptor (~100 ms a face here), so a thread pool
would freeze every socket of the process; a small process pool does not. This module imports
no Django: spawned workers load only the engine.
"""

import asyncio
import os
import time
import weakref
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
_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


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


def worker_count() -> int:
    return max(1, int(os.environ.get("RECOGNITION_WORKERS") or "1"))


def frame_pool() -> ProcessPoolExecutor:
    """The process-wide pool of worker_count() processes."""
    global _pool
    if _pool is None:
        # spawn: forking a process that runs an event loop and threads is not safe.
        _pool = ProcessPoolExecutor(
            max_workers=worker_count(), mp_context=get_context("spawn"), initializer=_warm_up
        )
    return _pool


def frame_slots() -> asyncio.Semaphore:
    """One slot per worker, shared by every camera of this server process.

    A camera takes its newest frame only once it holds a slot, so the pool never holds a queue
    of frames going stale: with more cameras than workers, each waits its turn and then sends
    what its camera sees now. One semaphore per event loop (asyncio primitives bind to one).
    """
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(worker_count())
    return slots

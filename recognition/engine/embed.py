"""Face embeddings: dlib's 128-d ResNet descriptor (default), the seed's raw pixels (baseline)."""

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import cv2
import dlib
import numpy as np

from recognition.engine.errors import ModelFileError
from recognition.engine.types import Face
from recognition.engine.weights import RESNET_FILE, SHAPE_PREDICTOR_FILE, dlib_model_path

DLIB_DIM = 128
CHIP_SIZE = 150  # the input the ResNet was trained on
CHIP_PADDING = 0.25  # dlib's default, as in its face recognition example
# Below this many faces a helper process costs more (pickling, waking it) than it saves.
POOL_MIN_FACES = 4

BASELINE_SIZE = 50
BASELINE_DIM = BASELINE_SIZE * BASELINE_SIZE * 3


def _load_resnet(path: Path) -> dlib.face_recognition_model_v1:
    try:
        return dlib.face_recognition_model_v1(str(path))
    except RuntimeError as error:
        raise ModelFileError(
            f"The dlib face descriptor model {path} is corrupt: {error}"
        ) from error


def _describe(net: dlib.face_recognition_model_v1, chips: list[np.ndarray]) -> np.ndarray:
    if not chips:
        return np.zeros((0, DLIB_DIM), dtype=np.float32)
    vectors = net.compute_face_descriptor(chips)
    return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32)


# Helper processes: dlib's network holds the GIL and uses one core, so a frame with many faces is
# shared between n helper processes while the calling thread waits. Each loads its own copy.
_worker_net: dlib.face_recognition_model_v1 | None = None


def _worker_init(resnet_path: str) -> None:  # pragma: no cover -- runs in a helper process
    global _worker_net  # this helper process's lazily loaded weights
    cv2.setNumThreads(1)
    _worker_net = _load_resnet(Path(resnet_path))


def _worker_describe(chips: list[np.ndarray]) -> np.ndarray:  # pragma: no cover -- in a helper
    if _worker_net is None:
        raise ModelFileError("The helper process started without its model.")
    return _describe(_worker_net, chips)


class DlibEmbedder:
    """YuNet box → dlib 5-point shape → aligned 150x150 chip → 128-d descriptor.

    Weights load on first use. Calls are serialised (dlib's objects are not safe to share between
    threads); with helpers > 0, a frame with many faces is split across helper processes.
    """

    dim = DLIB_DIM

    def __init__(self, *, helpers: int = 0) -> None:
        self.helpers = helpers
        self._shape_predictor: dlib.shape_predictor | None = None
        self._net: dlib.face_recognition_model_v1 | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._net is None:
            predictor_path = dlib_model_path(SHAPE_PREDICTOR_FILE)
            try:
                self._shape_predictor = dlib.shape_predictor(str(predictor_path))
            except RuntimeError as error:
                raise ModelFileError(
                    f"The dlib shape predictor {predictor_path} is corrupt: {error}"
                ) from error
            self._net = _load_resnet(dlib_model_path(RESNET_FILE))

    def load(self) -> None:
        with self._lock:
            self._load()

    def _helpers_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the parent may be a server with threads and open sockets.
            self._pool = ProcessPoolExecutor(
                max_workers=self.helpers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(str(dlib_model_path(RESNET_FILE)),),
            )
        return self._pool

    def chips(self, image: np.ndarray, faces: list[Face]) -> list[np.ndarray]:
        """Aligned RGB crops, one per face, as the ResNet expects them."""
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        chips = []
        for face in faces:
            x, y, w, h = face.box
            rect = dlib.rectangle(int(x), int(y), int(x + w), int(y + h))
            shape = self._shape_predictor(rgb, rect)
            chips.append(dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING))
        return chips

    def embed(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        with self._lock:
            self._load()
            chips = self.chips(image, faces)
            if self.helpers <= 0 or len(chips) < POOL_MIN_FACES:
                return _describe(self._net, chips)
            # Every share goes to a helper and this thread only waits. Describing a share here
            # would hold the GIL for the whole share, and the executor's feeder threads need the
            # GIL to send the helpers their work: measured, the helper then started only after
            # this thread finished, and 30 faces took as long as with no helper at all.
            pool = self._helpers_pool()
            per_helper = -(-len(chips) // self.helpers)
            futures: list[Future[np.ndarray]] = [
                pool.submit(_worker_describe, chips[start : start + per_helper])
                for start in range(0, len(chips), per_helper)
            ]
            return np.concatenate([future.result() for future in futures])

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


class RawPixelEmbedder:
    """The seed's features: the face crop resized to 50x50 BGR pixels, flattened (7,500)."""

    dim = BASELINE_DIM

    def load(self) -> None:
        """Nothing to load."""

    def embed(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        vectors = np.zeros((len(faces), BASELINE_DIM), dtype=np.float32)
        for row, face in enumerate(faces):
            x, y, w, h = face.box
            crop = image[y : y + h, x : x + w]
            if crop.size == 0:
                continue
            vectors[row] = cv2.resize(crop, (BASELINE_SIZE, BASELINE_SIZE)).ravel()
        return vectors

    def close(self) -> None:
        """Nothing to release."""

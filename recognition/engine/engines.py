"""Named, pluggable engines: a detector and an embedder under one name and version.

`default`  YuNet → dlib 5-point alignment → dlib ResNet 128-d, matched by 1-NN with thresholds.
`baseline` the seed Flask tool's method (Haar cascade, 50x50 raw colour pixels, KNN k=5, no
           rejection), kept only to be measured against.
"""

import threading
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from recognition.engine.detect import HaarDetector, YuNetDetector
from recognition.engine.embed import DlibEmbedder, RawPixelEmbedder
from recognition.engine.threads import configure_threads, threads_from_env
from recognition.engine.types import Face


class Detector(Protocol):
    def load(self) -> None: ...

    def detect(self, image: np.ndarray) -> list[Face]: ...


class Embedder(Protocol):
    dim: int

    def load(self) -> None: ...

    def embed(self, image: np.ndarray, faces: list[Face]) -> np.ndarray: ...

    def close(self) -> None: ...


@dataclass
class Engine:
    """What the rest of the project calls. `version` changes whenever embeddings would change,
    so cached embeddings and saved indexes of another version are never mixed with new ones."""

    name: str
    version: str
    detector: Detector
    embedder: Embedder
    k: int = 1  # neighbours that vote in FaceIndex
    rejects_strangers: bool = True  # False: the baseline accepts every face, as the seed did
    _loaded: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def load(self) -> None:
        """Load the weights now (the first detect/embed does it otherwise)."""
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                configure_threads(threads_from_env())
                self.detector.load()
                self.embedder.load()
                self._loaded = True

    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces, largest first."""
        self.load()
        return self.detector.detect(image)

    def embed(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        """One float32 row of `dim` values per face, in the order given."""
        self.load()
        if not faces:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.embedder.embed(image, faces)

    def analyse(self, image: np.ndarray) -> list[tuple[Face, np.ndarray]]:
        faces = self.detect(image)
        return list(zip(faces, self.embed(image, faces), strict=True))

    def close(self) -> None:
        """Stop helper processes (tests and benchmarks; a server keeps them)."""
        self.embedder.close()


def _helpers(threads: int) -> int:
    return threads if threads > 1 else 0


def _default() -> Engine:
    return Engine(
        name="default",
        version="yunet-2026may+dlib-resnet-v1",
        detector=YuNetDetector(),
        # One core: no helper. n cores: n helper processes share a frame's faces (embed.py).
        embedder=DlibEmbedder(helpers=_helpers(threads_from_env())),
    )


def _baseline() -> Engine:
    return Engine(
        name="baseline",
        version="haar-frontalface-default+raw-bgr-50x50",
        detector=HaarDetector(),
        embedder=RawPixelEmbedder(),
        k=5,
        rejects_strangers=False,
    )


ENGINES = {"default": _default, "baseline": _baseline}
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(name: str = "default") -> Engine:
    """The process's engine of that name; weights load on first use."""
    engine = _engines.get(name)
    if engine is not None:
        return engine
    if name not in ENGINES:
        raise ValueError(f"Unknown engine {name!r}; choose one of {', '.join(sorted(ENGINES))}.")
    with _engines_lock:
        if name not in _engines:
            _engines[name] = ENGINES[name]()
        return _engines[name]

"""FaceIndex: the per-organisation nearest-neighbour model, and its .npz file format."""

import hashlib
import json
import math
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Self

import numpy as np

from recognition.engine.errors import ModelFileError
from recognition.engine.types import Decision, Match

# Thresholds on the euclidean distance between dlib descriptors (default engine), chosen from
# `evaluate` on ../shared/faces (5 enrolment photos, 30 % strangers, 5 splits, seed 0):
#
#   accept at   celeb10 TAR / FAR    yale TAR / FAR    orl TAR / FAR     (misid 0 everywhere)
#   0.35        0.23 / 0.00          0.81 / 0.00       0.91 / 0.00
#   0.40        0.42 / 0.00          0.92 / 0.02       0.96 / 0.00
#   0.45        0.62 / 0.00          1.00 / 0.13       0.98 / 0.00
#   0.50        0.76 / 0.00          1.00 / 0.38       1.00 / 0.04
#   0.55        0.87 / 0.00          1.00 / 0.47       1.00 / 0.21
#   0.60        0.94 / 0.01          1.00 / 0.61       1.00 / 0.61   (dlib's usual 0.6)
#
# Strangers photographed by the same camera in the same light (Yale, ORL: a classroom) come much
# closer than strangers in web photos (celeb10), so the accept threshold follows Yale: 0.40 is the
# largest that keeps stranger acceptance near 2 % there, while still accepting 92-96 % of known
# faces on Yale/ORL (a marked-present stranger is worse than a teacher's tap). Between 0.40 and
# 0.50 the teacher confirms: no dataset misidentifies anyone there, and it recovers most known
# faces (celeb10 76 %, Yale 100 %, ORL 100 %). An organisation tunes both per school.
DEFAULT_ACCEPT = 0.40
DEFAULT_SUGGEST = 0.50

FORMAT_VERSION = 1
_ARRAYS = ("format", "embeddings", "labels", "header", "checksum")

MetadataValue = str | int | float


def _checksum(header: str, embeddings: np.ndarray, labels: np.ndarray) -> str:
    digest = hashlib.sha256()
    for part in (header.encode(), embeddings.tobytes(), labels.tobytes()):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def _decide(distance: float, *, accept: float, suggest: float) -> Decision:
    if distance <= accept:
        return "accept"
    if distance <= suggest:
        return "suggest"
    return "unknown"


class FaceIndex:
    """Embeddings with their labels (student ids), queried by euclidean distance.

    k = 1 (default engine): the label of the nearest embedding. k > 1 (baseline): majority vote
    of the k nearest, ties to the label with the nearer embedding.
    """

    def __init__(
        self,
        embeddings: np.ndarray,
        labels: np.ndarray,
        *,
        engine_name: str,
        engine_version: str,
        k: int,
        metadata: dict[str, MetadataValue],
    ) -> None:
        self._embeddings = embeddings
        self._labels = labels
        self.engine_name = engine_name
        self.engine_version = engine_version
        self.k = k
        self._metadata = dict(metadata)
        self._unique, self._codes = np.unique(labels, return_inverse=True)
        self._squared_norms = np.einsum("ij,ij->i", embeddings, embeddings, dtype=np.float64)

    @classmethod
    def fit(
        cls,
        embeddings: np.ndarray,
        labels: Sequence[str],
        *,
        engine_name: str,
        engine_version: str,
        k: int = 1,
        metadata: dict[str, MetadataValue] | None = None,
    ) -> Self:
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(labels):
            raise ValueError(
                f"Expected one embedding row per label: got {vectors.shape} for {len(labels)}."
            )
        if k < 1:
            raise ValueError("k must be at least 1.")
        label_array = np.asarray([str(label) for label in labels], dtype=np.str_)
        if not len(label_array):
            label_array = np.zeros(0, dtype="<U1")
        return cls(
            np.ascontiguousarray(vectors),
            label_array,
            engine_name=engine_name,
            engine_version=engine_version,
            k=k,
            metadata=metadata or {},
        )

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self._unique]

    @property
    def size(self) -> int:
        return len(self._labels)

    @property
    def dim(self) -> int:
        return self._embeddings.shape[1] if self._embeddings.ndim == 2 else 0

    @property
    def metadata(self) -> dict[str, MetadataValue]:
        return dict(self._metadata)

    def query(
        self,
        embeddings: np.ndarray,
        *,
        accept: float,
        suggest: float,
        candidates: Collection[str] | None = None,
    ) -> list[Match]:
        """One Match per row. With candidates, only those labels can be returned (the students
        of one class); labels the index does not hold are ignored."""
        vectors = np.asarray(embeddings, dtype=np.float32).reshape(len(embeddings), -1)
        rows = np.arange(self.size)
        if candidates is not None:
            wanted = np.asarray(list(candidates), dtype=np.str_)
            rows = np.flatnonzero(np.isin(self._labels, wanted))
        if not len(rows) or not len(vectors):
            return [Match(None, math.inf, None, "unknown") for _ in range(len(vectors))]
        codes = self._codes[rows]
        # Enough neighbours to see the k voters and, past every embedding of the winning
        # label, the nearest embedding of another label.
        largest_label = int(np.bincount(codes).max())
        n_neighbors = min(len(rows), max(self.k, largest_label) + 1)
        positions = self._nearest(vectors, rows, n_neighbors)
        # The shortlist comes from |a|^2 - 2ab + |b|^2 (fast, off by ~1e-6); the thresholds
        # deserve the exact distances of the few neighbours kept.
        neighbours = self._embeddings[rows[positions]].astype(np.float64)
        distances = np.linalg.norm(neighbours - vectors[:, None, :].astype(np.float64), axis=2)
        order = np.argsort(distances, axis=1, kind="stable")
        distances = np.take_along_axis(distances, order, axis=1)
        positions = np.take_along_axis(positions, order, axis=1)
        codes = codes[positions]
        return [
            self._match(row_distances, row_codes, accept=accept, suggest=suggest)
            for row_distances, row_codes in zip(distances, codes, strict=True)
        ]

    def _nearest(self, vectors: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
        """Positions (into rows) of the n nearest embeddings of each vector, unordered.

        Brute force with one matrix product: at school scale (thousands of embeddings, a frame
        of faces) this is ~1 ms. scikit-learn's NearestNeighbors(brute) computes the same
        thing, but its OpenMP reduction stalled for 60-130 ms on about one query in ten on a
        2-core server when two threads were allowed.
        """
        whole = len(rows) == self.size  # no copy when the query is not restricted
        subset = self._embeddings if whole else self._embeddings[rows]
        norms = self._squared_norms if whole else self._squared_norms[rows]
        squared = norms[None, :] - 2.0 * (vectors @ subset.T)
        if n >= len(rows):
            return np.tile(np.arange(len(rows)), (len(vectors), 1))
        return np.argpartition(squared, n - 1, axis=1)[:, :n]

    def _match(
        self, distances: np.ndarray, codes: np.ndarray, *, accept: float, suggest: float
    ) -> Match:
        voters = codes[: self.k]
        if self.k == 1:
            winner = int(voters[0])
        else:
            counts = Counter(int(code) for code in voters)
            top = max(counts.values())
            # Voters are in distance order: the first tied label met is the nearer one.
            winner = next(int(code) for code in voters if counts[int(code)] == top)
        distance = float(distances[np.flatnonzero(codes == winner)[0]])
        others = np.flatnonzero(codes != winner)
        runner_up = float(distances[others[0]]) if len(others) else None
        decision = _decide(distance, accept=accept, suggest=suggest)
        label = str(self._unique[winner]) if decision != "unknown" else None
        return Match(label, distance, runner_up, decision)

    def save(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        path = Path(path)
        header = json.dumps(
            {
                "engine_name": self.engine_name,
                "engine_version": self.engine_version,
                "k": self.k,
                "metadata": self._metadata,
            },
            sort_keys=True,
        )
        arrays = {
            "format": np.asarray(FORMAT_VERSION, dtype=np.int64),
            "embeddings": self._embeddings.astype("<f4"),
            "labels": self._labels,
            "header": np.asarray(header, dtype=np.str_),
            "checksum": np.asarray(_checksum(header, self._embeddings, self._labels)),
        }
        descriptor, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                np.savez(handle, allow_pickle=False, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read a file written by save(); anything else raises ModelFileError."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                missing = [name for name in _ARRAYS if name not in data.files]
                if missing:
                    raise ModelFileError(f"{path} is not a face index (missing {missing}).")
                arrays = {name: data[name] for name in _ARRAYS}
        except ModelFileError:
            raise
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
            raise ModelFileError(f"{path} is truncated or corrupt: {error}") from error
        if int(arrays["format"]) != FORMAT_VERSION:
            raise ModelFileError(
                f"{path} has index format {int(arrays['format'])}; this engine reads "
                f"{FORMAT_VERSION}."
            )
        header = str(arrays["header"])
        embeddings, labels = arrays["embeddings"], arrays["labels"]
        if _checksum(header, embeddings, labels) != str(arrays["checksum"]):
            raise ModelFileError(f"{path} fails its checksum: the file was altered or damaged.")
        fields = json.loads(header)
        return cls(
            np.ascontiguousarray(embeddings, dtype=np.float32),
            labels,
            engine_name=fields["engine_name"],
            engine_version=fields["engine_version"],
            k=int(fields["k"]),
            metadata=fields["metadata"],
        )

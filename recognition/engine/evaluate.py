"""The evaluation protocol of issue 4, as a pure function over a folder of labelled photos.

Per split (seeded): a fraction of identities are strangers, never enrolled, all their images are
probes; each other identity enrols N images and its remaining images are probes. Counts are pooled
over splits (micro-averages), so every probe of every split weighs the same.

- Each image is decoded, detected and embedded once and reused by every split.
- A probe with several faces is represented by its largest face (web photos have bystanders; the
  subject is usually the largest face). An enrolment image with no face enrols nothing.
- A probe with no face counts as wrong for rank1 and tar, and as rejected for far.
"""

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition.engine.decode import decode_image
from recognition.engine.engines import get_engine
from recognition.engine.index import DEFAULT_ACCEPT, DEFAULT_SUGGEST, FaceIndex

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".gif", ".bmp"}
# Accept thresholds reported side by side, to choose and tune the defaults from.
SWEEP = (0.35, 0.40, 0.45, 0.50, 0.55, 0.60)


@dataclass(frozen=True)
class Sample:
    identity: str
    path: Path
    embedding: np.ndarray | None  # of the largest face; None when no face was found
    faces: int
    ms: float  # decode + detect + embed


def _visible(path: Path) -> bool:
    return not path.name.startswith(("_", "."))


def dataset_files(dataset: Path) -> dict[str, list[Path]]:
    """identity → its image files, both sorted; hidden and `_`-prefixed entries ignored."""
    identities = {}
    for folder in sorted(p for p in Path(dataset).iterdir() if p.is_dir() and _visible(p)):
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and _visible(p) and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if files:
            identities[folder.name] = files
    return identities


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def _rate(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _analyse_all(
    files: dict[str, list[Path]],
    engine_name: str,
    progress: Callable[[int, int], None] | None,
) -> list[Sample]:
    engine = get_engine(engine_name)
    engine.load()
    total = sum(len(paths) for paths in files.values())
    samples = []
    for identity, paths in files.items():
        for path in paths:
            started = time.perf_counter()
            image = decode_image(path.read_bytes())
            faces = engine.detect(image)
            embedding = engine.embed(image, faces[:1])[0] if faces else None  # largest first
            ms = (time.perf_counter() - started) * 1000
            samples.append(Sample(identity, path, embedding, len(faces), ms))
            if progress is not None:
                progress(len(samples), total)
    return samples


def _tar_at_far(
    genuine: list[tuple[float, bool]], stranger: list[float], far_target: float
) -> tuple[float, float | None]:
    """The largest threshold whose pooled FAR is within the target, and the TAR it gives.

    genuine holds (distance, label right) of enrolled probes; stranger the stranger distances
    (inf when no face). Accept means distance <= threshold.
    """
    finite = sorted(d for d in stranger if math.isfinite(d))
    allowed = math.floor(far_target * len(stranger) + 1e-9)
    if allowed >= len(finite):  # every stranger may be accepted: no threshold needed
        threshold = max((d for d, _ in genuine if math.isfinite(d)), default=0.0)
    else:
        # Just below the nearest stranger that must be rejected (4 decimals, rounded down).
        threshold = math.floor(finite[allowed] * 10_000) / 10_000
        if threshold >= finite[allowed]:
            threshold -= 0.0001
    accepted = sum(1 for d, right in genuine if right and d <= threshold)
    return _rate(accepted, len(genuine)), round(threshold, 4)


def evaluate(
    dataset: Path,
    *,
    engine: str = "default",
    enrol_per_person: int = 5,
    strangers: float = 0.3,
    splits: int = 5,
    seed: int = 0,
    far_target: float = 0.01,
    accept: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Run the protocol; return the JSON-ready result (rates are fractions in [0, 1])."""
    dataset = Path(dataset)
    files = dataset_files(dataset)
    if len(files) < 2:
        raise ValueError(f"{dataset} needs at least two identity folders with images.")
    samples = _analyse_all(files, engine, progress)
    face_engine = get_engine(engine)
    if accept is None:
        accept = DEFAULT_ACCEPT if face_engine.rejects_strangers else math.inf
    suggest = max(accept, DEFAULT_SUGGEST) if face_engine.rejects_strangers else math.inf

    by_identity: dict[str, list[Sample]] = {}
    for sample in samples:
        by_identity.setdefault(sample.identity, []).append(sample)
    identities = sorted(by_identity)
    n_strangers = min(len(identities) - 1, round(strangers * len(identities)))
    rng = np.random.default_rng(seed)

    correct = accepted_right = accepted_wrong = enrolled_probes = 0
    stranger_probes = stranger_accepted = 0
    genuine: list[tuple[float, bool]] = []
    stranger_distances: list[float] = []
    enrol_ms: list[float] = []
    fit_ms = 0.0
    for _ in range(splits):
        order = rng.permutation(len(identities))
        stranger_ids = {identities[i] for i in order[:n_strangers]}
        vectors, labels, probes = [], [], []
        for identity in identities:
            group = by_identity[identity]
            if identity in stranger_ids:
                probes.extend(group)
                continue
            picked = rng.permutation(len(group))
            for position, i in enumerate(picked):
                if position < enrol_per_person:
                    enrol_ms.append(group[i].ms)
                    if group[i].embedding is not None:
                        vectors.append(group[i].embedding)
                        labels.append(identity)
                else:
                    probes.append(group[i])
        started = time.perf_counter()
        index = FaceIndex.fit(
            np.asarray(vectors, dtype=np.float32).reshape(len(vectors), face_engine.dim),
            labels,
            engine_name=face_engine.name,
            engine_version=face_engine.version,
            k=face_engine.k,
        )
        fit_ms += (time.perf_counter() - started) * 1000
        found = [p for p in probes if p.embedding is not None]
        matches = index.query(
            np.asarray([p.embedding for p in found], dtype=np.float32).reshape(
                len(found), face_engine.dim
            ),
            accept=math.inf,  # decide below, so the label is kept whatever the distance
            suggest=math.inf,
        )
        match_of = {id(p): m for p, m in zip(found, matches, strict=True)}
        for probe in probes:
            match = match_of.get(id(probe))
            distance = match.distance if match is not None else math.inf
            label = match.label if match is not None else None
            if probe.identity in stranger_ids:
                stranger_probes += 1
                stranger_accepted += distance <= accept
                stranger_distances.append(distance)
                continue
            enrolled_probes += 1
            right = label == probe.identity
            correct += right
            accepted_right += right and distance <= accept
            accepted_wrong += (not right) and distance <= accept
            genuine.append((distance, right))

    tar_at_target, target_threshold = _tar_at_far(genuine, stranger_distances, far_target)
    sweep = [
        {
            "threshold": t,
            "tar": _rate(sum(right and d <= t for d, right in genuine), len(genuine)),
            "far": _rate(sum(d <= t for d in stranger_distances), len(stranger_distances)),
            "misid": _rate(sum(not right and d <= t for d, right in genuine), len(genuine)),
        }
        for t in (SWEEP if face_engine.rejects_strangers else ())
    ]
    frame_ms = [s.ms for s in samples]
    enrolled_count = len(enrol_ms)
    return {
        "engine": face_engine.name,
        "engine_version": face_engine.version,
        "dataset": dataset.name,
        "identities": len(identities),
        "images": len(samples),
        "splits": splits,
        "seed": seed,
        "enrol_per_person": enrol_per_person,
        "strangers": strangers,
        "stranger_identities_per_split": n_strangers,
        "enrolled_probes": enrolled_probes,
        "stranger_probes": stranger_probes,
        "detection_rate": _rate(sum(s.faces > 0 for s in samples), len(samples)),
        "rank1": _rate(correct, enrolled_probes),
        "tar": _rate(accepted_right, enrolled_probes),
        "far": _rate(stranger_accepted, stranger_probes),
        "misid": _rate(accepted_wrong, enrolled_probes),
        "threshold": accept if math.isfinite(accept) else None,
        "suggest_threshold": suggest if math.isfinite(suggest) else None,
        "far_target": far_target,
        "tar_at_far_target": tar_at_target,
        "tar_at_far_target_threshold": target_threshold,
        "frame_ms_p50": _percentile(frame_ms, 50),
        "frame_ms_p95": _percentile(frame_ms, 95),
        "enrol_ms_per_image": round(
            (sum(enrol_ms) + fit_ms) / enrolled_count if enrolled_count else 0.0, 1
        ),
        "sweep": sweep,
    }


def format_table(result: dict) -> str:
    """A short human-readable summary of one evaluate() result."""
    threshold = result["threshold"]
    rows = [
        ("engine", f"{result['engine']} ({result['engine_version']})"),
        (
            "dataset",
            f"{result['dataset']}: {result['identities']} identities, "
            f"{result['images']} images, {result['splits']} splits",
        ),
        ("detection rate", f"{result['detection_rate']:.3f}"),
        ("rank-1", f"{result['rank1']:.3f}"),
        (
            "accept threshold",
            "none (accepts every face)" if threshold is None else f"{threshold:.3f}",
        ),
        ("TAR / FAR / misid", f"{result['tar']:.3f} / {result['far']:.3f} / {result['misid']:.3f}"),
        (
            f"TAR at FAR {result['far_target']:g}",
            f"{result['tar_at_far_target']:.3f} (threshold "
            f"{result['tar_at_far_target_threshold']})",
        ),
        ("per image p50 / p95", f"{result['frame_ms_p50']:.0f} / {result['frame_ms_p95']:.0f} ms"),
        ("enrolment per image", f"{result['enrol_ms_per_image']:.0f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2, allow_nan=False)

"""Speed of both engines on composed classroom frames, FaceIndex at school scale, peak memory.

    .venv/bin/python tests/benchmarks/bench_engine.py [--threads 2] [--repeats 15] [--json OUT]

Frames are composed at run time from ../shared/faces/celeb10 (override with FACES_DIR); nothing
is written except the optional JSON.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
FACES_DIR = Path(os.environ.get("FACES_DIR") or REPO_ROOT / ".." / "shared" / "faces")
GOALS_MS = {"frame_640x480_1_face": 120.0, "frame_1280x720_30_faces": 1500.0}


def _percentiles(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(samples, 50)), 1),
        "p95_ms": round(float(np.percentile(samples, 95)), 1),
    }


def _timed(function, repeats: int) -> tuple[list[float], object]:
    function()  # warm-up: weights, helper processes, caches
    samples, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def _portraits(count: int) -> list:
    from recognition.engine.decode import decode_image
    from recognition.engine.engines import get_engine

    detector = get_engine("default")
    folders = sorted(p for p in (FACES_DIR / "celeb10").iterdir() if p.is_dir())
    portraits = []
    position = 0
    while len(portraits) < count:
        for folder in folders:
            files = sorted(folder.glob("*.jpg"))
            image = decode_image(files[position % len(files)].read_bytes())
            faces = detector.detect(image)
            if len(faces) == 1 and len(portraits) < count:
                portraits.append((image, faces[0]))
        position += 1
    return portraits


def bench_frames(engine_name: str, repeats: int, portraits: list) -> dict:
    from recognition.engine.engines import get_engine
    from recognition.engine.synthetic import compose_scene, degrade

    engine = get_engine(engine_name)
    rng = np.random.default_rng(0)
    one, _ = compose_scene(portraits[:1], size=(640, 480), face_heights=160, rng=rng)
    many, _ = compose_scene(portraits[:30], size=(1280, 720), face_heights=90, rng=rng)
    one, many = degrade(one, jpeg_quality=80), degrade(many, jpeg_quality=80)
    results = {}
    for key, frame, runs in (
        ("frame_640x480_1_face", one, repeats),
        ("frame_1280x720_30_faces", many, max(3, repeats // 3)),
    ):
        samples, analysed = _timed(lambda frame=frame: engine.analyse(frame), runs)
        results[key] = {**_percentiles(samples), "faces_found": len(analysed), "runs": runs}
    return results


def bench_index(engine_name: str, repeats: int) -> dict:
    from recognition.engine.engines import get_engine
    from recognition.engine.index import DEFAULT_ACCEPT, DEFAULT_SUGGEST, FaceIndex

    engine = get_engine(engine_name)
    rng = np.random.default_rng(0)
    students, per_student = 1000, 5
    centres = rng.normal(size=(students, engine.dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.repeat(centres, per_student, axis=0) + rng.normal(
        0, 0.05, (students * per_student, engine.dim)
    ).astype(np.float32)
    labels = [f"student-{i:04d}" for i in range(students) for _ in range(per_student)]
    fit_samples, index = _timed(
        lambda: FaceIndex.fit(
            vectors, labels, engine_name=engine.name, engine_version=engine.version, k=engine.k
        ),
        repeats,
    )
    probes = centres[:30] + rng.normal(0, 0.05, (30, engine.dim)).astype(np.float32)
    class_roster = set(labels[: 30 * per_student : per_student])
    query_all, _ = _timed(
        lambda: index.query(probes, accept=DEFAULT_ACCEPT, suggest=DEFAULT_SUGGEST), repeats
    )
    query_class, _ = _timed(
        lambda: index.query(
            probes, accept=DEFAULT_ACCEPT, suggest=DEFAULT_SUGGEST, candidates=class_roster
        ),
        repeats,
    )
    return {
        "index_size": f"{students} students x {per_student} embeddings of {engine.dim}",
        "fit": _percentiles(fit_samples),
        "query_30_faces_whole_school": _percentiles(query_all),
        "query_30_faces_class_of_30": _percentiles(query_class),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("RECOGNITION_THREADS", 2))
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (FACES_DIR / "celeb10").is_dir():
        print(f"SKIPPED: the shared face photos are not at {FACES_DIR} (set FACES_DIR).")
        return 0
    # Read when the engine loads: set before the first get_engine().
    os.environ["RECOGNITION_THREADS"] = str(args.threads)
    sys.path.insert(0, str(REPO_ROOT))
    from recognition.engine.engines import get_engine

    print(f"RECOGNITION_THREADS={args.threads}, {os.cpu_count()} CPUs, repeats={args.repeats}")
    load_ms = {}
    for name in ("default", "baseline"):
        started = time.perf_counter()
        get_engine(name).load()
        load_ms[name] = round((time.perf_counter() - started) * 1000, 1)
    portraits = _portraits(30)
    report: dict = {"recognition_threads": args.threads, "cpus": os.cpu_count(), "engines": {}}
    for name in ("default", "baseline"):
        engine = get_engine(name)
        figures = {"version": engine.version, "load_ms": load_ms[name]}
        figures |= bench_frames(name, args.repeats, portraits)
        figures |= bench_index(name, args.repeats)
        report["engines"][name] = figures
        print(f"\n== {name} ({engine.version}), weights loaded in {load_ms[name]} ms")
        for key, goal in GOALS_MS.items():
            row = figures[key]
            verdict = (
                ""
                if name != "default"
                else (
                    "  goal met"
                    if row["p95_ms"] <= goal
                    else f"  GOAL MISSED (p95 <= {goal:.0f} ms)"
                )
            )
            print(
                f"  {key:<26} p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  "
                f"faces found {row['faces_found']}{verdict}"
            )
        print(f"  FaceIndex {figures['index_size']}")
        for key in ("fit", "query_30_faces_whole_school", "query_30_faces_class_of_30"):
            row = figures[key]
            print(f"    {key:<28} p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms")
    for name in ("default", "baseline"):
        get_engine(name).close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report["peak_rss_mb"] = round(own, 1)
    report["peak_rss_helper_process_mb"] = round(helpers, 1)
    print(f"\npeak memory (ru_maxrss): this process {own:.0f} MB, largest helper {helpers:.0f} MB")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Enrolment and retraining figures (issue 5). Run by `make bench`; prints, and writes --json.

- retrain time for a school of 1,000 students x 5 cached embeddings (no photo re-embedded);
- embedding throughput of a build on real photos (photos/s on this machine);
- enrol -> ready latency for one new student: through Redis to a real worker when REDIS_URL is
  set (the worker is started here), eager in-process otherwise.

Without DATABASE_URL it works in a temporary SQLite file; with it, in a throwaway school that is
deleted afterwards. Face photos come from ../shared/faces (FACES_DIR overrides).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")
_tmp = Path(tempfile.mkdtemp(prefix="bench-enrolment-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp / 'bench.sqlite3'}")
os.environ["PRIVATE_STORAGE_ROOT"] = str(_tmp / "private")
FACES = Path(os.environ.get("FACES_DIR") or REPO.parent / "shared" / "faces")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import Organisation, Role  # noqa: E402
from accounts.scoping import organisation_scope  # noqa: E402
from accounts.services import member_create  # noqa: E402
from recognition import services  # noqa: E402
from recognition.engine.engines import get_engine  # noqa: E402
from recognition.errors import PhotoRejected  # noqa: E402
from recognition.models import (  # noqa: E402
    Consent,
    FaceEmbedding,
    FaceModel,
    FacePhoto,
    RebuildRequest,
)
from records.models import Student  # noqa: E402


def _school(name: str) -> tuple[Organisation, object]:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    organisation = Organisation.objects.create(name=name, slug=slug, biometrics_enabled=True)
    with organisation_scope(organisation):
        admin = member_create(
            organisation=organisation, username=slug, password=uuid.uuid4().hex, role=Role.ADMIN
        )
    return organisation, admin


def retrain_cached(students: int, per_student: int) -> dict[str, float]:
    organisation, _admin = _school("Bench cached")
    engine = get_engine()
    rng = np.random.default_rng(0)
    with organisation_scope(organisation):
        created = Student.objects.bulk_create(
            Student(
                organisation=organisation,
                given_name="S",
                family_name=str(i),
                student_number=f"B{i:05d}",
            )
            for i in range(students)
        )
        Consent.objects.bulk_create(
            Consent(organisation=organisation, student=s, given_by="bench", given_on="2026-01-01")
            for s in created
        )
        photos = FacePhoto.objects.bulk_create(
            FacePhoto(
                organisation=organisation,
                student=s,
                image=f"bench/{s.pk}-{k}.jpg",
                width=640,
                height=480,
                face_box=[0, 0, 1, 1],
                face_landmarks=[[0, 0]] * 5,
                face_score=1.0,
            )
            for s in created
            for k in range(per_student)
        )
        vectors = rng.normal(size=(len(photos), engine.dim)).astype("<f4")
        FaceEmbedding.objects.bulk_create(
            FaceEmbedding(
                organisation=organisation,
                photo=p,
                engine_name=engine.name,
                engine_version=engine.version,
                vector=v.tobytes(),
            )
            for p, v in zip(photos, vectors, strict=True)
        )
        # The outbox row alone, not rebuild_request: eager Celery would build on commit, and
        # the build itself is what is timed here.
        RebuildRequest.objects.create(organisation=organisation, reason="bench")
        started = time.perf_counter()
        model = services.face_model_build(organisation=organisation)
        seconds = time.perf_counter() - started
    assert model.status == "ready", model.error
    result = {
        "students": students,
        "embeddings": len(photos),
        "seconds": round(seconds, 3),
        "embedded_during_build": model.to_embed_count,
        "photos_in_model": model.photos_count,
        "students_in_model": model.students_count,
    }
    organisation.delete()
    return result


def _yale(count: int) -> list[tuple[int, bytes]]:
    photos = []
    for subject in range(1, 16):
        for path in sorted((FACES / "yale" / f"subject{subject:02d}").glob("*.gif")):
            photos.append((subject, path.read_bytes()))
            if len(photos) == count:
                return photos
    return photos


def embedding_throughput(count: int) -> dict[str, float]:
    """Photos embedded per second by a build, on real photos (detection at upload excluded)."""
    organisation, admin = _school("Bench throughput")
    with organisation_scope(organisation):
        with transaction.atomic():
            by_subject: dict[int, Student] = {}
            for subject, data in _yale(count):
                student = by_subject.get(subject)
                if student is None:
                    student = Student.objects.create(
                        organisation=organisation,
                        given_name="Y",
                        family_name=str(subject),
                        student_number=f"Y{subject}",
                    )
                    Consent.objects.create(
                        organisation=organisation,
                        student=student,
                        given_by="bench",
                        given_on="2026-01-01",
                    )
                    by_subject[subject] = student
                # A refused photo is simply not counted: a bench measures, it never stops.
                with contextlib.suppress(PhotoRejected):
                    services.face_photo_enrol(student=student, data=data, uploaded_by=admin)
            started = time.perf_counter()
        # Eager Celery built on commit (timed above); with a broker, build here.
        services.face_model_build(organisation=organisation)
        seconds = time.perf_counter() - started
        model = FaceModel.objects.filter(status="ready").latest()
    result = {
        "photos": model.to_embed_count,
        "seconds": round(seconds, 3),
        "photos_per_second": round(model.to_embed_count / seconds, 2),
    }
    organisation.delete()
    return result


def enrol_to_ready() -> dict[str, object]:
    worker = None
    if settings.REDIS_URL:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "attendance_project",
                "worker",
                "-P",
                "solo",
                "-Q",
                "celery,retrain",
                "--loglevel=WARNING",
            ],
            cwd=REPO,
            env=os.environ.copy(),
        )
        time.sleep(4)  # the worker connects and loads the engine on its first task
    organisation, admin = _school("Bench latency")
    try:
        with organisation_scope(organisation):
            student = Student.objects.create(
                organisation=organisation, given_name="L", family_name="L", student_number="L1"
            )
            Consent.objects.create(
                organisation=organisation, student=student, given_by="bench", given_on="2026-01-01"
            )
            started = time.perf_counter()
            for _, data in _yale(5):
                services.face_photo_enrol(student=student, data=data, uploaded_by=admin)
            while time.perf_counter() - started < 60:
                if FaceModel.objects.filter(status="ready", photos_count=5).exists():
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            ready = FaceModel.objects.filter(status="ready", photos_count=5).exists()
    finally:
        organisation.delete()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
    return {
        "mode": "worker via Redis" if worker else "eager (no REDIS_URL)",
        "photos": 5,
        "seconds": round(seconds, 3),
        "ready": ready,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--students", type=int, default=1000)
    args = parser.parse_args()
    if not (FACES / "yale").is_dir():
        print(f"skipped: the shared face photos are absent ({FACES})")
        return
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        call_command("migrate", verbosity=0)
    results = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "retrain_cached": retrain_cached(args.students, 5),
        "embedding_throughput": embedding_throughput(40),
        "enrol_to_ready": enrol_to_ready(),
    }
    r = results
    print("\n== Enrolment and retraining ==")
    print(f"database: {r['database']}")
    c = r["retrain_cached"]
    print(
        f"retrain, {c['students']} students x 5 cached embeddings: {c['seconds']:.2f} s "
        f"(model of {c['students_in_model']} students, {c['photos_in_model']} photos; "
        f"re-embedded {c['embedded_during_build']})"
    )
    t = r["embedding_throughput"]
    print(
        f"embedding throughput: {t['photos_per_second']:.1f} photos/s "
        f"({t['photos']} photos in {t['seconds']:.2f} s)"
    )
    e = r["enrol_to_ready"]
    print(f"enrol -> ready, 5 photos, {e['mode']}: {e['seconds']:.2f} s (goal <= 10 s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Building a school's model: one build at a time, on cached embeddings, published atomically.

A change that needs a new model writes a RebuildRequest (the outbox) in its own transaction and
enqueues `retrain_organisation` after commit. A build claims every pending request; requests that
arrive while it runs are claimed by exactly one more build, which the running one starts itself
when it finishes. The database, not a process, holds the lock: a partial unique constraint allows
one `building` row per school.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from recognition.engine.decode import decode_image
from recognition.engine.engines import get_engine
from recognition.engine.index import FaceIndex
from recognition.engine.types import Face
from recognition.models import FaceEmbedding, FaceModel, FacePhoto, ModelStatus, RebuildRequest
from recognition.storage import private_storage

logger = logging.getLogger(__name__)

# A build that has not finished in this long died with its worker; the sweep marks it failed.
STALE_BUILD_AFTER = timedelta(minutes=30)
# The sweep re-enqueues requests whose task never reached a broker (it was down).
REENQUEUE_AFTER = timedelta(seconds=30)
PROGRESS_EVERY = 5


def rebuild_request(*, organisation: Organisation, reason: str) -> RebuildRequest:
    request = RebuildRequest.objects.create(organisation=organisation, reason=reason)
    organisation_id = organisation.pk
    transaction.on_commit(lambda: rebuild_enqueue(organisation_id=organisation_id))
    return request


def rebuild_enqueue(*, organisation_id: int) -> bool:
    """Hand the build to Celery; a broker that is down costs a warning, not the request."""
    # Tasks call services; this one service calls a task, so the import waits until needed.
    from recognition.tasks import retrain_organisation

    try:
        retrain_organisation.apply_async(kwargs={"organisation_id": organisation_id}, retry=False)
    except Exception as error:
        logger.warning(
            "rebuild of organisation %s not enqueued (%s); the sweep will retry",
            organisation_id,
            type(error).__name__,
        )
        return False
    RebuildRequest.objects.filter(
        organisation_id=organisation_id, claimed_by__isnull=True, enqueued_at__isnull=True
    ).update(enqueued_at=timezone.now())
    return True


def rebuild_requests_sweep(*, organisation: Organisation) -> bool:
    """Periodic: fail builds whose worker died, and enqueue requests no task is coming for."""
    now = timezone.now()
    organisation.face_models.filter(
        status=ModelStatus.BUILDING, started_at__lt=now - STALE_BUILD_AFTER
    ).update(
        status=ModelStatus.FAILED, error="The build stopped without finishing.", finished_at=now
    )
    if not organisation.biometrics_enabled:
        return False
    stuck = organisation.rebuild_requests.filter(
        claimed_by__isnull=True, created_at__lt=now - REENQUEUE_AFTER
    )
    if stuck.exists():
        return rebuild_enqueue(organisation_id=organisation.pk)
    return False


def face_model_build(
    *,
    organisation: Organisation,
    engine_name: str = "default",
    on_progress: Callable[[FaceModel], None] | None = None,
) -> FaceModel | None:
    """Build while requests are pending; return the last model built, or None if another build
    is running (it will take our requests) or there was nothing to do."""
    if not organisation.biometrics_enabled:
        return None
    built = None
    while (model := _claim(organisation, engine_name)) is not None:
        built = _build(model, on_progress)
    return built


def _claim(organisation: Organisation, engine_name: str) -> FaceModel | None:
    engine = get_engine(engine_name)
    with transaction.atomic():
        pending = organisation.rebuild_requests.filter(claimed_by__isnull=True)
        if not pending.exists():
            return None
        latest = organisation.face_models.aggregate(latest=Max("version"))["latest"] or 0
        try:
            with transaction.atomic():
                model = FaceModel.objects.create(
                    organisation=organisation,
                    version=latest + 1,
                    status=ModelStatus.BUILDING,
                    engine_name=engine.name,
                    engine_version=engine.version,
                    started_at=timezone.now(),
                )
        except IntegrityError:
            return None  # a build is running; it claims our requests when it finishes
        pending.update(claimed_by=model)
        return model


def _photos_in_model(organisation: Organisation) -> QuerySet[FacePhoto]:
    """Photos of current students with active consent: nobody else is ever recognisable."""
    return organisation.face_photos.filter(
        student__archived_at__isnull=True,
        student__consents__withdrawn_at__isnull=True,
    ).distinct()


def _embed(engine: object, photo: FacePhoto) -> np.ndarray:
    with photo.image.open("rb") as handle:
        image = decode_image(handle.read())
    face = Face(
        box=tuple(int(v) for v in photo.face_box),
        landmarks=tuple((float(x), float(y)) for x, y in photo.face_landmarks),
        score=photo.face_score,
    )
    return engine.embed(image, [face])[0]


def _build(model: FaceModel, on_progress: Callable[[FaceModel], None] | None) -> FaceModel:
    organisation = model.organisation
    started = time.monotonic()
    try:
        engine = get_engine(model.engine_name)
        photos = _photos_in_model(organisation)
        missing = list(
            photos.exclude(
                embeddings__engine_name=engine.name, embeddings__engine_version=engine.version
            ).order_by("pk")
        )
        model.to_embed_count = len(missing)
        model.save(update_fields=["to_embed_count"])
        for done, photo in enumerate(missing, start=1):
            vector = _embed(engine, photo).astype("<f4")
            FaceEmbedding.objects.create(
                organisation=organisation,
                photo=photo,
                engine_name=engine.name,
                engine_version=engine.version,
                vector=vector.tobytes(),
            )
            if done % PROGRESS_EVERY == 0 or done == len(missing):
                model.embedded_count = done
                model.save(update_fields=["embedded_count"])
                if on_progress is not None:
                    on_progress(model)

        rows = list(
            FaceEmbedding.objects.filter(
                photo__in=photos, engine_name=engine.name, engine_version=engine.version
            ).values_list("vector", "photo__student__public_id")
        )
        vectors = np.array(
            [np.frombuffer(bytes(vector), dtype="<f4") for vector, _ in rows], dtype=np.float32
        ).reshape(len(rows), engine.dim)
        labels = [str(student_id) for _, student_id in rows]
        index = FaceIndex.fit(
            vectors,
            labels,
            engine_name=engine.name,
            engine_version=engine.version,
            metadata={"organisation": str(organisation.public_id), "version": model.version},
        )
        file_name = f"{organisation.public_id}/models/v{model.version}.npz"
        path = Path(private_storage.path(file_name))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        index.save(path)  # temp file, fsync, rename: a reader never sees half a model

        model.status = ModelStatus.READY
        model.students_count = len(set(labels))
        model.photos_count = len(rows)
        model.file_name = file_name
    except Exception as error:
        # Ids only in logs: never an image or a vector.
        logger.exception(
            "model build failed: organisation=%s version=%s", organisation.pk, model.version
        )
        model.status = ModelStatus.FAILED
        model.error = f"{type(error).__name__}: {error}"[:2000]
    model.finished_at = timezone.now()
    model.duration_ms = round((time.monotonic() - started) * 1000)
    model.save()
    if model.status == ModelStatus.READY:
        _delete_older_model_files(model)
    return model


def _delete_older_model_files(current: FaceModel) -> None:
    """Older versions may hold vectors of students erased since; only the newest stays."""
    older = current.organisation.face_models.filter(version__lt=current.version).exclude(
        file_name=""
    )
    for model in older:
        private_storage.delete(model.file_name)
    older.update(file_name="")

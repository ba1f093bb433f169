"""Reads of biometric data, always for one school and an admin of it."""

from uuid import UUID

from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.errors import NotFound
from accounts.models import Organisation
from recognition.models import Consent, FaceModel, FacePhoto, ModelStatus
from records.models import Student

PHOTO_NOT_FOUND = "No such photo."


def consent_active(*, student: Student) -> Consent | None:
    return student.consents.filter(withdrawn_at__isnull=True).first()


def consent_history(*, student: Student) -> QuerySet[Consent]:
    return student.consents.select_related("recorded_by__user", "withdrawn_by__user")


def face_photos_of(*, student: Student) -> QuerySet[FacePhoto]:
    return student.face_photos.order_by("created_at")


def face_photo_get(*, organisation: Organisation, public_id: UUID | str) -> FacePhoto:
    try:
        return organisation.face_photos.select_related("student").get(public_id=public_id)
    except FacePhoto.DoesNotExist as error:
        raise NotFound(PHOTO_NOT_FOUND) from error


def face_model_serving(*, organisation: Organisation) -> FaceModel | None:
    return organisation.face_models.filter(status=ModelStatus.READY).order_by("-version").first()


def face_model_building(*, organisation: Organisation) -> FaceModel | None:
    return organisation.face_models.filter(status=ModelStatus.BUILDING).first()


def face_models_recent(*, organisation: Organisation, limit: int = 10) -> QuerySet[FaceModel]:
    return organisation.face_models.order_by("-version")[:limit]


def enrolment_overview(*, organisation: Organisation) -> QuerySet[Student]:
    """Current students with their photo count and whether consent is active, in one query."""
    return (
        organisation.students.filter(archived_at__isnull=True)
        .annotate(
            photo_count=Count("face_photos", distinct=True),
            has_consent=Exists(
                Consent.objects.filter(student=OuterRef("pk"), withdrawn_at__isnull=True)
            ),
        )
        .order_by("family_name", "given_name")
    )


def model_status(*, organisation: Organisation) -> dict[str, object]:
    """What the model page shows and polls: the serving version and any build in progress."""
    serving = face_model_serving(organisation=organisation)
    building = face_model_building(organisation=organisation)
    last = organisation.face_models.order_by("-version").first()
    return {
        "biometrics_enabled": organisation.biometrics_enabled,
        "serving": _model_dict(serving),
        "building": _model_dict(building),
        "last_failed": _model_dict(last) if last and last.status == ModelStatus.FAILED else None,
        "pending_requests": organisation.rebuild_requests.filter(claimed_by__isnull=True).count(),
    }


def _model_dict(model: FaceModel | None) -> dict[str, object] | None:
    if model is None:
        return None
    return {
        "version": model.version,
        "status": model.status,
        "students": model.students_count,
        "photos": model.photos_count,
        "embedded": model.embedded_count,
        "to_embed": model.to_embed_count,
        "started_at": model.started_at.isoformat(),
        "finished_at": model.finished_at.isoformat() if model.finished_at else None,
        "duration_ms": model.duration_ms,
        "error": model.error,
    }

"""Children's biometric data and the models built from it. Every row belongs to one school."""

import uuid

from django.db import models
from django_scopes import ScopedManager

from accounts.models import Membership, Organisation
from recognition.storage import private_storage
from records.models import Student


class BiometricModel(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        abstract = True


class Consent(BiometricModel):
    """Who agreed, when, on what evidence. Enrolment needs an active (not withdrawn) consent."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="consents"
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(
        max_length=120, help_text="Who gave consent, e.g. “Jane Doe (mother)”."
    )
    given_on = models.DateField()
    evidence = models.TextField(
        max_length=2000, blank=True, help_text="Where the signed form is kept, or other evidence."
    )
    recorded_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_student",
                violation_error_message="This student already has an active consent.",
            )
        ]

    def __str__(self) -> str:
        return f"Consent for {self.student} by {self.given_by}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


def _photo_path(photo: "FacePhoto", filename: str) -> str:
    # Names carry public ids only: no student name ever appears in a path.
    return f"{photo.organisation.public_id}/photos/{photo.public_id}.jpg"


class FacePhoto(BiometricModel):
    """An accepted enrolment photo, re-encoded (no EXIF) and kept in private storage."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="face_photos"
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="face_photos")
    image = models.FileField(storage=private_storage, upload_to=_photo_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # The face the admin's upload was accepted for: the build embeds exactly this one.
    face_box = models.JSONField()
    face_landmarks = models.JSONField()
    face_score = models.FloatField()
    uploaded_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Photo {self.public_id} of {self.student_id}"


class FaceEmbedding(BiometricModel):
    """The engine's vector for one photo, cached so a rebuild embeds only new photos."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="face_embeddings"
    )
    photo = models.ForeignKey(FacePhoto, on_delete=models.CASCADE, related_name="embeddings")
    engine_name = models.CharField(max_length=40)
    engine_version = models.CharField(max_length=80)
    vector = models.BinaryField()  # float32, little-endian

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "engine_name", "engine_version"],
                name="embedding_one_per_photo_and_engine",
            )
        ]

    def __str__(self) -> str:
        return f"Embedding of {self.photo_id} ({self.engine_name} {self.engine_version})"


class ModelStatus(models.TextChoices):
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class FaceModel(BiometricModel):
    """One version of a school's recognition model. Only `ready` versions are served."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="face_models"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ModelStatus.choices, default="building")
    engine_name = models.CharField(max_length=40)
    engine_version = models.CharField(max_length=80)
    students_count = models.PositiveIntegerField(default=0)
    photos_count = models.PositiveIntegerField(default=0)
    # Progress while building: photos embedded so far out of those needing it.
    embedded_count = models.PositiveIntegerField(default=0)
    to_embed_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "version"], name="face_model_version_unique"
            ),
            # The lock that keeps builds of one school one at a time, held by the database.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="building"),
                name="face_model_one_build_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} model v{self.version} ({self.status})"


class RebuildRequest(BiometricModel):
    """The outbox of model rebuilds: written in the same transaction as the change that needs
    it, so a broker that is down loses nothing; a build claims every pending request."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="rebuild_requests"
    )
    reason = models.CharField(max_length=60)
    claimed_by = models.ForeignKey(
        FaceModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Rebuild of {self.organisation} ({self.reason})"

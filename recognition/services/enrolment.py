"""Enrolment photos: each upload is judged at once, and only an accepted photo is stored."""

import logging

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import Membership
from recognition.engine.decode import decode_image
from recognition.engine.engines import get_engine
from recognition.engine.errors import ImageRejected
from recognition.engine.quality import check_enrolment_photo
from recognition.errors import ConsentMissing, PhotoRejected
from recognition.models import Consent, FacePhoto
from recognition.services.builds import rebuild_request
from recognition.services.consent import biometrics_require
from records.models import Student

logger = logging.getLogger(__name__)

# Stored photos are re-encoded at this size: enough for a 150 px aligned crop, no more detail
# (and no EXIF, GPS or camera metadata) than recognition needs.
STORED_MAX_SIDE = 1024
STORED_JPEG_QUALITY = 90
MAX_PHOTOS_PER_STUDENT = 20


def _reencode(image: np.ndarray) -> tuple[bytes, np.ndarray]:
    height, width = image.shape[:2]
    scale = min(1.0, STORED_MAX_SIDE / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, STORED_JPEG_QUALITY])
    if not ok:  # pragma: no cover -- OpenCV encodes any decoded BGR image.
        raise PhotoRejected("The photo could not be stored; try another file.", code="encode")
    return encoded.tobytes(), image


def face_photo_enrol(*, student: Student, data: bytes, uploaded_by: Membership) -> FacePhoto:
    """Check one photo of one student and keep it if it shows exactly one usable face.

    Refusals raise PhotoRejected with the engine's reason (not an image, too large, no face,
    several faces, face too small, too blurry) and store nothing.
    """
    organisation = student.organisation
    biometrics_require(organisation)
    if not Consent.objects.filter(student=student, withdrawn_at__isnull=True).exists():
        raise ConsentMissing()
    if student.face_photos.count() >= MAX_PHOTOS_PER_STUDENT:
        raise PhotoRejected(
            f"{student.full_name} already has {MAX_PHOTOS_PER_STUDENT} photos; delete some first.",
            code="too_many_photos",
        )
    try:
        image = decode_image(data)
        stored_bytes, stored_image = _reencode(image)
        engine = get_engine()
        face = check_enrolment_photo(stored_image, engine.detect(stored_image))
    except ImageRejected as refusal:
        logger.info("enrolment photo refused: student=%s code=%s", student.pk, refusal.code)
        raise PhotoRejected(refusal.message, code=refusal.code) from refusal

    height, width = stored_image.shape[:2]
    with transaction.atomic():
        photo = FacePhoto(
            organisation=organisation,
            student=student,
            width=width,
            height=height,
            face_box=list(face.box),
            face_landmarks=[list(point) for point in face.landmarks],
            face_score=float(face.score),
            uploaded_by=uploaded_by,
        )
        photo.image.save("photo.jpg", ContentFile(stored_bytes), save=False)
        try:
            photo.save()
        except Exception:
            photo.image.delete(save=False)  # a failed insert must not leave the file behind
            raise
        rebuild_request(organisation=organisation, reason="photo enrolled")
    return photo


def face_photo_delete(*, photo: FacePhoto) -> None:
    """The file goes after commit and the model is rebuilt (recognition/receivers.py)."""
    photo.delete()


def face_photo_erased(*, photo: FacePhoto, rebuild: bool = True) -> None:
    """Whatever deleted the row (this service, a student's deletion, the Django admin), the
    file leaves storage once the deletion commits, and the model is rebuilt without it."""
    name, storage = photo.image.name, photo.image.storage
    transaction.on_commit(lambda: storage.delete(name))
    if rebuild:
        rebuild_request(organisation=photo.organisation, reason="photo erased")

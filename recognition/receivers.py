"""The one place recognition listens to other parts. Receivers only hand work to services."""

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from recognition.models import FacePhoto
from recognition.services.enrolment import face_photo_erased


@receiver(post_delete, sender=FacePhoto, dispatch_uid="recognition.face_photo_erased")
def on_face_photo_deleted(sender: type[FacePhoto], instance: FacePhoto, **kwargs: Any) -> None:
    face_photo_erased(photo=instance)

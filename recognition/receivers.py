"""The one place recognition listens to other parts. Receivers only hand work to services."""

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts.models import Organisation
from recognition.models import FacePhoto
from recognition.services.enrolment import face_photo_erased


@receiver(post_delete, sender=FacePhoto, dispatch_uid="recognition.face_photo_erased")
def on_face_photo_deleted(
    sender: type[FacePhoto], instance: FacePhoto, origin: object = None, **kwargs: Any
) -> None:
    # When a whole school is deleted its models go too: there is nothing left to rebuild.
    face_photo_erased(photo=instance, rebuild=not isinstance(origin, Organisation))

import factory
from django.core.files.base import ContentFile

from recognition.models import Consent, FacePhoto
from tests.factories import StudentFactory


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    student = factory.SubFactory(StudentFactory)
    organisation = factory.SelfAttribute("student.organisation")
    given_by = "A parent"
    given_on = factory.Faker("past_date")


class FacePhotoFactory(factory.django.DjangoModelFactory):
    """A stored photo row without running the engine: for access tests, not recognition."""

    class Meta:
        model = FacePhoto

    student = factory.SubFactory(StudentFactory)
    organisation = factory.SelfAttribute("student.organisation")
    image = factory.LazyFunction(lambda: ContentFile(b"\xff\xd8\xff\xd9", name="photo.jpg"))
    width = 640
    height = 480
    face_box = (200, 120, 160, 200)
    face_landmarks = ((250, 200), (310, 200), (280, 240), (255, 280), (305, 280))
    face_score = 0.95

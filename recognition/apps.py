from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Face recognition"

    def ready(self) -> None:
        from recognition import receivers  # noqa: F401 -- connects the signal receivers.

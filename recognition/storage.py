"""Private storage: face photos and model files, outside any URL. Views stream them after
checking the school and role."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_STORAGE_ROOT, readable by this process's user only, with no URL."""

    def __init__(self) -> None:
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    # Read on every use, not cached: tests point the setting at a temporary folder.
    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError(
            "Private files have no URL; stream them through a view that checks access."
        )


private_storage = PrivateStorage()

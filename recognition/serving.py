"""The model a camera-serving process uses: the newest ready version, loaded lazily, replaced
without a restart when a newer one is published."""

import threading
from dataclasses import dataclass
from pathlib import Path

from accounts.models import Organisation
from recognition.engine.index import FaceIndex
from recognition.models import ModelStatus
from recognition.storage import private_storage


@dataclass(frozen=True)
class ServingModel:
    version: int
    index: FaceIndex


_loaded: dict[int, ServingModel] = {}
_lock = threading.Lock()


def serving_model(*, organisation: Organisation) -> ServingModel | None:
    """One small query per call; the file is read only when a newer version is ready."""
    latest = (
        organisation.face_models.filter(status=ModelStatus.READY)
        .exclude(file_name="")
        .order_by("-version")
        .values_list("version", "file_name")
        .first()
    )
    if latest is None:
        return None
    version, file_name = latest
    current = _loaded.get(organisation.pk)
    if current is not None and current.version == version:
        return current
    with _lock:
        current = _loaded.get(organisation.pk)
        if current is None or current.version != version:
            index = FaceIndex.load(Path(private_storage.path(file_name)))
            current = ServingModel(version=version, index=index)
            _loaded[organisation.pk] = current
    return current

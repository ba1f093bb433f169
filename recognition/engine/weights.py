"""Where the weight files are, and the check that they are the files we measured."""

import hashlib
import importlib.util
from pathlib import Path

from recognition.engine.errors import ModelFileError

MODELS_DIR = Path(__file__).resolve().parent / "models"
YUNET_PATH = MODELS_DIR / "face_detection_yunet_2026may.onnx"
YUNET_SHA256 = "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0"

SHAPE_PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_yunet(path: Path = YUNET_PATH, expected: str = YUNET_SHA256) -> Path:
    """The YuNet ONNX file, refused unless its checksum is the one we measured and licensed."""
    if not path.is_file():
        raise ModelFileError(f"The face detector model {path} is missing.")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelFileError(
            f"The face detector model {path} has sha256 {actual}, expected {expected}: "
            "the file is corrupt or was replaced."
        )
    return path


def dlib_model_path(name: str) -> Path:
    """A dlib weights file from the face-recognition-models wheel.

    The package's own __init__ imports pkg_resources (absent from modern setuptools), so we find
    its folder without importing it.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("The face-recognition-models package is not installed.")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file() or path.stat().st_size == 0:
        raise ModelFileError(f"The dlib model {path} is missing or empty.")
    return path

"""Fixtures of the engine tests: the shared photos (when present) and embeddings computed once."""

import os
from pathlib import Path

import numpy as np
import pytest

from recognition.engine.decode import decode_image
from recognition.engine.engines import get_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
FACES_DIR = Path(os.environ.get("FACES_DIR") or REPO_ROOT / ".." / "shared" / "faces")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".gif", ".bmp"}


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """../shared/faces; in CI (CI=true) its absence fails the run instead of skipping."""
    if not FACES_DIR.is_dir():
        message = f"the shared face photos are not at {FACES_DIR} (set FACES_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return FACES_DIR


def read(path: Path) -> np.ndarray:
    return decode_image(path.read_bytes())


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


@pytest.fixture(scope="session")
def engine():
    return get_engine("default")


@pytest.fixture(scope="session")
def yale(faces_dir, engine) -> dict[str, list[tuple[Path, np.ndarray | None]]]:
    """identity -> [(photo, embedding of its largest face or None)], for all of Yale (155)."""
    result = {}
    for folder in sorted(p for p in (faces_dir / "yale").iterdir() if p.is_dir()):
        rows = []
        for path in photos(folder):
            pairs = engine.analyse(read(path))
            rows.append((path, pairs[0][1] if pairs else None))
        result[folder.name] = rows
    return result

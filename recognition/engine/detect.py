"""Face detectors: YuNet (the default engine) and the seed's Haar cascade (the baseline)."""

import threading
from pathlib import Path

import cv2
import numpy as np

from recognition.engine.errors import ModelFileError
from recognition.engine.types import Face, Point
from recognition.engine.weights import YUNET_PATH, verified_yunet

# YuNet's scores on the shared photos: true faces 0.75-0.95 (greyscale ORL/Yale included), the
# few false positives in web photos under 0.6.
YUNET_SCORE_THRESHOLD = 0.6
YUNET_NMS_THRESHOLD = 0.3
YUNET_TOP_K = 5000
# Smaller images are upscaled before detection: YuNet's smallest anchors are ~10 px at stride 8
# and it misses faces that fill a thumbnail (ORL's 92x112 works at x2 as well as at x1; 40 px
# crops do not). Coordinates are mapped back to the original image.
SMALL_IMAGE_SIDE = 160
# Very large photos are downscaled for detection only: faces in them are large, and a 25 MP
# image would otherwise cost seconds. Class frames (640x480, 1280x720) are never downscaled.
MAX_DETECTION_SIDE = 1920


def _estimated_landmarks(x: float, y: float, w: float, h: float) -> tuple[Point, ...]:
    """Typical positions of YuNet's five points inside a frontal face box (Haar has none)."""
    fractions = ((0.31, 0.40), (0.69, 0.40), (0.50, 0.58), (0.35, 0.77), (0.65, 0.77))
    return tuple((x + fx * w, y + fy * h) for fx, fy in fractions)


class YuNetDetector:
    """OpenCV's FaceDetectorYN. The network is loaded on first use; calls are serialised because
    the detector's input size is set per frame."""

    def __init__(
        self,
        *,
        min_face_px: int = 20,
        score_threshold: float = YUNET_SCORE_THRESHOLD,
        model_path: Path = YUNET_PATH,
    ) -> None:
        self.min_face_px = min_face_px
        self.score_threshold = score_threshold
        self._model_path = model_path
        self._net: cv2.FaceDetectorYN | None = None
        self._lock = threading.Lock()

    def _load(self) -> cv2.FaceDetectorYN:
        if self._net is None:
            path = verified_yunet(self._model_path)
            self._net = cv2.FaceDetectorYN.create(
                str(path), "", (320, 320), self.score_threshold, YUNET_NMS_THRESHOLD, YUNET_TOP_K
            )
        return self._net

    def load(self) -> None:
        with self._lock:
            self._load()

    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces at least min_face_px high and wide, largest first."""
        height, width = image.shape[:2]
        longer = max(height, width)
        scale = 1.0
        if longer < SMALL_IMAGE_SIDE:
            scale = SMALL_IMAGE_SIDE / longer
        elif longer > MAX_DETECTION_SIDE:
            scale = MAX_DETECTION_SIDE / longer
        frame = image
        if scale != 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            frame = cv2.resize(image, size, interpolation=interpolation)
        with self._lock:
            net = self._load()
            net.setInputSize((frame.shape[1], frame.shape[0]))
            _, rows = net.detect(frame)
        if rows is None:
            return []
        faces = []
        for row in np.asarray(rows, dtype=np.float64) / np.r_[[scale] * 14, 1.0]:
            x, y, w, h = row[:4]
            x0, y0 = max(0, round(x)), max(0, round(y))
            x1, y1 = min(width, round(x + w)), min(height, round(y + h))
            if min(x1 - x0, y1 - y0) < self.min_face_px:
                continue
            points = tuple((float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5))
            faces.append(
                Face(box=(x0, y0, x1 - x0, y1 - y0), landmarks=points, score=float(row[14]))
            )
        return sorted(faces, key=lambda face: face.area, reverse=True)


class HaarDetector:
    """The seed's detector, as the seed called it: frontal-face cascade, scale 1.3, 5 neighbours."""

    def __init__(self) -> None:
        self._cascade: cv2.CascadeClassifier | None = None
        self._lock = threading.Lock()

    def _load(self) -> cv2.CascadeClassifier:
        if self._cascade is None:
            path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
            cascade = cv2.CascadeClassifier(str(path))
            if cascade.empty():
                raise ModelFileError(f"The Haar cascade {path} could not be loaded.")
            self._cascade = cascade
        return self._cascade

    def load(self) -> None:
        with self._lock:
            self._load()

    def detect(self, image: np.ndarray) -> list[Face]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        with self._lock:
            boxes = self._load().detectMultiScale(gray, 1.3, 5)
        faces = [
            Face(
                box=(int(x), int(y), int(w), int(h)),
                landmarks=_estimated_landmarks(x, y, w, h),
                score=1.0,
            )
            for x, y, w, h in boxes
        ]
        return sorted(faces, key=lambda face: face.area, reverse=True)

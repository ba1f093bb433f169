"""Is this photo good enough to enrol? One face, large enough, sharp enough."""

import cv2
import numpy as np

from recognition.engine.errors import ImageRejected
from recognition.engine.types import Face

# Sharpness = variance of the Laplacian of the face crop resized to 128x128 grey, so that it
# does not depend on how many pixels the face has. Measured on the shared photos with one face
# (celeb10, yale, orl): the softest ones score 12.7 and 13.4 (celeb10; soft-focus web photos),
# 16.4 (orl), 48.7 (yale). A Gaussian blur of sigma 4 at that 128 px scale (3 % of the face
# height) brings every one of them to 11.0 or less; sigma 3 to 16.3 or less. The threshold sits
# between the softest real photo and the heavily blurred copies.
SHARPNESS_SIDE = 128
DEFAULT_MIN_SHARPNESS = 12.0
# Another face counts only if it is at least this fraction of the largest face's height: a
# bystander far behind the student does not make the photo ambiguous; a second person beside
# them does.
OTHER_FACE_FRACTION = 0.5


def sharpness(image: np.ndarray, face: Face) -> float:
    """Variance of the Laplacian over the face, at a fixed size."""
    x, y, w, h = face.box
    crop = image[max(0, y) : y + h, max(0, x) : x + w]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    # INTER_AREA to shrink; INTER_LINEAR to enlarge (INTER_AREA enlarges with blocky steps,
    # which the Laplacian reads as sharp edges).
    shrinking = min(grey.shape) >= SHARPNESS_SIDE
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    grey = cv2.resize(grey, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=interpolation)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def check_enrolment_photo(
    image: np.ndarray,
    faces: list[Face],
    *,
    min_face_px: int = 60,
    min_sharpness: float = DEFAULT_MIN_SHARPNESS,
) -> Face:
    """The one usable face of an enrolment photo, or ImageRejected saying what to fix.

    Face size is the box height (YuNet boxes run from forehead to chin; their width varies more
    with pose).
    """
    if not faces:
        raise ImageRejected(
            "no_face",
            "No face was found. Use a photo where the student faces the camera, in good light.",
        )
    ordered = sorted(faces, key=lambda face: face.area, reverse=True)
    largest = ordered[0]
    others = [face for face in ordered[1:] if face.box[3] >= OTHER_FACE_FRACTION * largest.box[3]]
    if others:
        raise ImageRejected(
            "several_faces",
            f"The photo shows {len(others) + 1} faces; use a photo of the student alone.",
        )
    height = largest.box[3]
    if height < min_face_px:
        raise ImageRejected(
            "face_too_small",
            f"The face is {height} pixels tall; it must be at least {min_face_px}. "
            "Move closer or crop the photo around the face.",
        )
    if sharpness(image, largest) < min_sharpness:
        raise ImageRejected(
            "too_blurry",
            "The face is too blurry. Hold the camera still, focus on the face and try again.",
        )
    return largest

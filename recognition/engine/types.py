"""The engine's results: plain frozen values that cross into the Django side unchanged."""

from dataclasses import dataclass
from typing import Literal

Box = tuple[int, int, int, int]
Point = tuple[float, float]
Decision = Literal["accept", "suggest", "unknown"]


@dataclass(frozen=True)
class Face:
    """One detected face in image coordinates.

    box is (x, y, width, height); landmarks are the detector's five points (right eye, left eye,
    nose tip, right and left mouth corners, "right" meaning the subject's right). The baseline
    Haar detector has no landmarks and gives points estimated from the box.
    """

    box: Box
    landmarks: tuple[Point, Point, Point, Point, Point]
    score: float

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]


@dataclass(frozen=True)
class Match:
    """The nearest enrolled label for one face and how sure the index is about it.

    label is None when the decision is "unknown": a stranger is never named. distance is to the
    nearest embedding of the label; runner_up_distance is to the nearest embedding of any other
    label (None when the index holds no other label).
    """

    label: str | None
    distance: float
    runner_up_distance: float | None
    decision: Decision

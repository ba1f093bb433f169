"""Live recognition for one camera: which faces count, and when a match becomes a check-in.

The rules (DESIGN.md, "Recognition decisions"): candidates are the session's roster with active
consent; a face is a student only under the school's accept threshold, and only after the same
student matched in 2 of the last 3 counted frames; identical consecutive frames are not counted,
so a single still never checks anyone in. Between the accept and suggest thresholds the teacher
is asked to confirm.
"""

import hashlib
from collections import deque
from dataclasses import dataclass, field

from recognition.engine.types import Match

WINDOW = 3
NEEDED = 2


@dataclass
class FrameVerdict:
    """What one frame changed: who is now checked in, who the teacher is asked about."""

    counted: bool
    confirmed: list[Match] = field(default_factory=list)
    suggested: list[Match] = field(default_factory=list)
    unknown: int = 0


class CheckInTracker:
    """Per camera connection; lives as long as the socket, holds labels and frame hashes only."""

    def __init__(self, *, window: int = WINDOW, needed: int = NEEDED) -> None:
        self.window = window
        self.needed = needed
        self.frame_number = 0
        self.last_digest: bytes | None = None
        self.recent: dict[str, deque[int]] = {}
        self.checked_in: set[str] = set()
        self.suggested: set[str] = set()
        self.rejected: set[str] = set()

    def is_repeat(self, frame: bytes) -> bool:
        """An identical frame (a frozen camera, a replayed still) is not evidence twice."""
        digest = hashlib.blake2b(frame, digest_size=16).digest()
        repeat = digest == self.last_digest
        self.last_digest = digest
        return repeat

    def observe(self, matches: list[Match]) -> FrameVerdict:
        self.frame_number += 1
        verdict = FrameVerdict(counted=True)
        for match in matches:
            if match.decision == "unknown" or match.label is None:
                verdict.unknown += 1
                continue
            label = match.label
            if label in self.checked_in:
                continue
            if match.decision == "accept":
                seen = self.recent.setdefault(label, deque(maxlen=self.window))
                seen.append(self.frame_number)
                in_window = [n for n in seen if n > self.frame_number - self.window]
                if len(in_window) >= self.needed:
                    self.checked_in.add(label)
                    verdict.confirmed.append(match)
            elif label not in self.suggested and label not in self.rejected:
                self.suggested.add(label)
                verdict.suggested.append(match)
        return verdict

    def settle(self, label: str, *, confirmed: bool) -> None:
        """The teacher answered a suggestion: a confirmed student is in; a rejected one is not
        suggested again by this camera."""
        self.suggested.discard(label)
        if confirmed:
            self.checked_in.add(label)
        else:
            self.rejected.add(label)

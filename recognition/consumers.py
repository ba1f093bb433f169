"""The camera socket: the teacher's browser sends JPEG frames, the server answers with faces.

The consumer authenticates, authorises, limits, and hands frames to a worker process; the rules
of what counts live in recognition.camera and the writes in services. A frame arriving while
one is in work, or while every worker serves other cameras, replaces the waiting one (latest
frame wins), so a slow server drops frames instead of queueing them.
"""

import asyncio
import json
import logging
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.consumers import OrganisationConsumerMixin, scoped_database_sync_to_async
from accounts.errors import DomainError
from recognition.camera import CheckInTracker
from recognition.engine.errors import ImageRejected
from recognition.engine.types import Match
from recognition.frames import (
    MAX_FRAME_BYTES,
    FrameAnalysis,
    analyse_frame,
    frame_pool,
    frame_slots,
)
from recognition.services import live
from recognition.serving import serving_model
from records import selectors as records_selectors

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_SESSION_CLOSED = 4409
CLOSE_TOO_LARGE = 4413
MIN_FRAME_INTERVAL = 0.45  # about 2 frames a second per camera
ROSTER_REFRESH_SECONDS = 15.0


class CameraConsumer(OrganisationConsumerMixin, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()  # accept first, so the close code and reason reach the page
        self.tracker = CheckInTracker()
        self.waiting: bytes | None = None
        self.worker: asyncio.Task[None] | None = None
        self.last_frame_at = 0.0
        self.dropped = 0
        self.suggestions: dict[str, tuple[Match, int | None]] = {}
        if not self.scope["user"].is_authenticated or await self.resolve_membership() is None:
            await self._refuse(CLOSE_UNAUTHENTICATED, "Log in again to use the camera.")
            return
        try:
            self.session = await self._session(self.scope["url_route"]["kwargs"]["public_id"])
            await self._refresh_roster()
        except DomainError as error:
            code = {"not_found": CLOSE_NOT_FOUND, "session_closed": CLOSE_SESSION_CLOSED}.get(
                error.code, CLOSE_FORBIDDEN
            )
            await self._refuse(code, error.message)
            return
        await self._send({"type": "ready", "students": len(self.roster.names)})

    async def _refuse(self, code: int, message: str) -> None:
        await self._send({"type": "error", "message": message})
        await self.close(code=code)

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    @scoped_database_sync_to_async
    def _session(self, public_id: str) -> Any:
        return records_selectors.class_session_get(membership=self.membership, public_id=public_id)

    @scoped_database_sync_to_async
    def _load_roster(self) -> live.CameraRoster:
        return live.camera_roster(session=self.session)

    async def _refresh_roster(self) -> None:
        self.roster = await self._load_roster()
        self.roster_loaded_at = time.monotonic()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self._frame(bytes_data)
        elif text_data:
            await self._answer(text_data)

    async def _frame(self, frame: bytes) -> None:
        if len(frame) > MAX_FRAME_BYTES:
            size, limit = len(frame) // 1000, MAX_FRAME_BYTES // 1000
            await self._refuse(
                CLOSE_TOO_LARGE, f"A frame of {size} KB is over the {limit} KB limit."
            )
            return
        if self.waiting is not None:
            self.dropped += 1  # replaced before it was looked at
        self.waiting = frame
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        """Analyse the newest frame, at most one every MIN_FRAME_INTERVAL, until none waits.

        A frame that comes too soon, or while every worker is busy with other cameras, stays
        waiting and is replaced by any newer one; it is taken only when a worker is free.
        """
        while self.waiting is not None:
            pause = self.last_frame_at + MIN_FRAME_INTERVAL - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            try:
                analysis = await self._analyse_newest()
                if analysis is not None:
                    await self._decide(analysis)
            except DomainError as error:  # the session closed, recognition turned off...
                await self._refuse(CLOSE_SESSION_CLOSED, error.message)
                return
            except Exception:
                logger.exception("camera frame failed: session=%s", self.session.pk)

    async def _analyse_newest(self) -> FrameAnalysis | None:
        async with frame_slots():
            frame, self.waiting = self.waiting, None
            if frame is None:
                return None
            self.last_frame_at = time.monotonic()
            if self.tracker.is_repeat(frame):
                return None
            analysing = asyncio.get_running_loop().run_in_executor(
                frame_pool(), analyse_frame, frame
            )
            try:
                return await asyncio.shield(analysing)
            except asyncio.CancelledError:
                # The camera left mid-frame; its worker still finishes it, so the slot stays
                # taken until then (other cameras must not queue behind it in the pool).
                await asyncio.wait([analysing])
                raise
            except ImageRejected as refusal:
                await self._send({"type": "frame_error", "message": refusal.message})
                return None

    async def _decide(self, analysis: FrameAnalysis) -> None:
        if time.monotonic() - self.roster_loaded_at > ROSTER_REFRESH_SECONDS:
            await self._refresh_roster()
        matches, version = await self._match(analysis)
        verdict = self.tracker.observe(matches)
        for match in verdict.confirmed:
            await self._check_in(match, version, confirmed_by=None)
            await self._send(
                {
                    "type": "checked_in",
                    "student": match.label,
                    "name": self.roster.names.get(match.label, ""),
                }
            )
        for match in verdict.suggested:
            self.suggestions[match.label] = (match, version)
            await self._send(
                {
                    "type": "suggest",
                    "student": match.label,
                    "name": self.roster.names.get(match.label, ""),
                    "distance": round(match.distance, 3),
                }
            )
        await self._send(
            {
                "type": "frame",
                "width": analysis.width,
                "height": analysis.height,
                "ms": round(analysis.ms),
                "unknown": verdict.unknown,
                "dropped": self.dropped,
                "faces": [
                    {
                        "box": list(face.box),
                        "decision": match.decision,
                        "student": match.label,
                        "name": self.roster.names.get(match.label) if match.label else None,
                    }
                    for face, match in zip(analysis.faces, matches, strict=True)
                ],
            }
        )

    @scoped_database_sync_to_async
    def _match(self, analysis: FrameAnalysis) -> tuple[list[Match], int | None]:
        unknown = Match(
            label=None, distance=float("inf"), runner_up_distance=None, decision="unknown"
        )
        model = serving_model(organisation=self.organisation)
        if model is None or not analysis.faces or not self.roster.names:
            return [unknown] * len(analysis.faces), None
        matches = model.index.query(
            analysis.embeddings,
            accept=self.roster.accept,
            suggest=self.roster.suggest,
            candidates=set(self.roster.names),
        )
        return matches, model.version

    @scoped_database_sync_to_async
    def _check_in(self, match: Match, version: int | None, *, confirmed_by: Any) -> None:
        live.camera_check_in(
            session=self.session,
            student_id=match.label,
            distance=match.distance,
            model_version=version,
            confirmed_by=confirmed_by,
        )

    async def _answer(self, text: str) -> None:
        """The teacher's tap on "is this …?": yes checks the student in, no stops asking.
        A ping (the page's heartbeat, to notice a connection gone silent) is answered."""
        try:
            message = json.loads(text)
            if isinstance(message, dict) and message.get("type") == "ping":
                await self._send({"type": "pong"})
                return
            student, answer = message["student"], message["type"]
        except (ValueError, KeyError, TypeError):
            await self._send({"type": "error", "message": "Unreadable message."})
            return
        suggestion = self.suggestions.pop(student, None)
        if suggestion is None or answer not in {"confirm", "reject"}:
            return
        self.tracker.settle(student, confirmed=answer == "confirm")
        if answer == "confirm":
            match, version = suggestion
            await self._check_in(match, version, confirmed_by=self.scope["user"])
            await self._send(
                {
                    "type": "checked_in",
                    "student": student,
                    "name": self.roster.names.get(student, ""),
                }
            )

    async def disconnect(self, code: int) -> None:
        # The camera is gone: drop the waiting frame and stop the one in work from answering.
        self.waiting = None
        if getattr(self, "worker", None) is not None:
            self.worker.cancel()

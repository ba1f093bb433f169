"""Live updates: what a check-in looks like on the wire, and which groups hear of it.

Group names are built here and only here, from public ids (never a sequential key). Events are
sent after commit (records.signals) through the channel layer; a layer that is down costs a
warning, never the write, and pages re-sync from the database when their socket reconnects.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.models import Organisation
from records.models import AttendanceRecord, ClassSession

logger = logging.getLogger(__name__)

EVENT_TYPE = "live.event"  # the consumer method `live_event` receives these


def session_group(session: ClassSession) -> str:
    return f"session-{session.public_id.hex}"


def organisation_group(organisation: Organisation) -> str:
    return f"org-{organisation.public_id.hex}"


def record_payload(record: AttendanceRecord) -> dict[str, Any]:
    session, student = record.session, record.student
    return {
        "type": "attendance",
        "session": str(session.public_id),
        "class": session.school_class.name,
        "student": str(student.public_id),
        "name": student.full_name,
        "status": record.status,
        "status_label": record.get_status_display(),
        "source": record.source,
        "first_seen_at": record.first_seen_at.isoformat() if record.first_seen_at else None,
        "updated_at": record.updated_at.isoformat(),
    }


def session_payload(session: ClassSession) -> dict[str, Any]:
    return {
        "type": "session",
        "session": str(session.public_id),
        "class": session.school_class.name,
        "status": session.status,
    }


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, {"type": EVENT_TYPE, "event": payload})

    try:
        # One trip into async code for all the groups: from an HTTP request's thread (no event
        # loop of its own) each trip starts an event loop and a Redis connection.
        async_to_sync(send_all)()
    except Exception as error:
        logger.warning("live event not delivered (%s)", type(error).__name__)


def broadcast_record(*, record: AttendanceRecord, **kwargs: Any) -> None:
    session = record.session
    _send(
        [session_group(session), organisation_group(session.organisation)],
        record_payload(record),
    )


def broadcast_session(*, session: ClassSession, **kwargs: Any) -> None:
    _send(
        [session_group(session), organisation_group(session.organisation)],
        session_payload(session),
    )

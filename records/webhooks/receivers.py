"""Model signals → outbox rows, inside the transaction of the write (see the package docstring).

Connected in records/apps.py. Each receiver reads the school's active endpoints (one query)
and writes a WebhookDelivery per subscribed endpoint; with no endpoint it writes nothing.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from records.models import (
    AttendanceChange,
    AttendanceRecord,
    ClassSession,
    Enrollment,
    SchoolClass,
    SessionStatus,
    Student,
    TeacherAssignment,
    WebhookEvent,
)
from records.webhooks.selectors import webhook_endpoints_of
from records.webhooks.services import webhook_event_record

ROSTER_OBJECTS = {
    Student: "student",
    SchoolClass: "class",
    Enrollment: "enrollment",
    TeacherAssignment: "teacher_assignment",
}


def _record_data(record: AttendanceRecord) -> dict[str, Any]:
    session = record.session
    return {
        "id": str(record.public_id),
        "session_id": str(session.public_id),
        "class_id": str(session.school_class.public_id),
        "student_id": str(record.student.public_id),
        "status": record.status,
        "source": record.source,
        "excuse_reason": record.excuse_reason,
        "first_seen_at": record.first_seen_at.isoformat() if record.first_seen_at else None,
    }


def _emit(organisation_id: int, event: str, data_of: Any) -> None:
    endpoints = [
        e for e in webhook_endpoints_of(organisation_id=organisation_id) if event in e.events
    ]
    if endpoints:
        webhook_event_record(
            organisation_id=organisation_id, event=event, data=data_of(), endpoints=endpoints
        )


def on_attendance_change(
    sender: type[Model], instance: AttendanceChange, created: bool, **kwargs: Any
) -> None:
    if not created or kwargs.get("raw"):
        return
    event = (
        WebhookEvent.ATTENDANCE_MARKED
        if not instance.old_status
        else WebhookEvent.ATTENDANCE_CHANGED
    )

    def data() -> dict[str, Any]:
        payload = _record_data(instance.record)
        if instance.old_status:
            payload["old_status"] = instance.old_status
            payload["reason"] = instance.reason
        return payload

    _emit(instance.organisation_id, event, data)


def on_session_saved(
    sender: type[Model], instance: ClassSession, created: bool, **kwargs: Any
) -> None:
    update_fields = kwargs.get("update_fields") or ()
    if created or kwargs.get("raw") or "status" not in update_fields:
        return
    if instance.status != SessionStatus.CLOSED:
        return
    organisation_id = instance.organisation_id
    # session_close marks the unseen students absent with bulk_create (no model signals): their
    # audit rows carry the closing instant, so they are found and announced here.
    absent = AttendanceRecord.objects.filter(
        organisation_id=organisation_id,
        session=instance,
        changes__old_status="",
        changes__changed_at=instance.closed_at,
    ).select_related("session__school_class", "student")
    endpoints = webhook_endpoints_of(organisation_id=organisation_id)
    if not endpoints:
        return
    if any(WebhookEvent.ATTENDANCE_MARKED in e.events for e in endpoints):
        for record in absent:
            webhook_event_record(
                organisation_id=organisation_id,
                event=WebhookEvent.ATTENDANCE_MARKED,
                data=_record_data(record),
                endpoints=endpoints,
            )
    webhook_event_record(
        organisation_id=organisation_id,
        event=WebhookEvent.SESSION_CLOSED,
        data={
            "id": str(instance.public_id),
            "class_id": str(instance.school_class.public_id),
            "opened_at": instance.opened_at.isoformat(),
            "closed_at": instance.closed_at.isoformat() if instance.closed_at else None,
        },
        endpoints=endpoints,
    )


def _roster_data(instance: Model, action: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "object": ROSTER_OBJECTS[type(instance)],
        "id": str(instance.public_id),
        "action": action,
    }
    try:
        if isinstance(instance, Enrollment):
            data["class_id"] = str(instance.school_class.public_id)
            data["student_id"] = str(instance.student.public_id)
        elif isinstance(instance, TeacherAssignment):
            data["class_id"] = str(instance.school_class.public_id)
            data["teacher_id"] = str(instance.teacher.user.public_id)
    except ObjectDoesNotExist:  # deleted together with its class or student
        pass
    return data


def on_roster_saved(sender: type[Model], instance: Model, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    action = "created" if created else "updated"
    _emit(
        instance.organisation_id,
        WebhookEvent.ROSTER_CHANGED,
        lambda: _roster_data(instance, action),
    )


def on_roster_deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    _emit(
        instance.organisation_id,
        WebhookEvent.ROSTER_CHANGED,
        lambda: _roster_data(instance, "deleted"),
    )


def connect() -> None:
    from records.webhooks import tasks  # noqa: F401 -- registers the delivery tasks with Celery

    post_save.connect(on_attendance_change, sender=AttendanceChange, dispatch_uid="webhooks.change")
    post_save.connect(on_session_saved, sender=ClassSession, dispatch_uid="webhooks.session")
    for model in ROSTER_OBJECTS:
        post_save.connect(
            on_roster_saved, sender=model, dispatch_uid=f"webhooks.{model.__name__}.save"
        )
        post_delete.connect(
            on_roster_deleted, sender=model, dispatch_uid=f"webhooks.{model.__name__}.delete"
        )

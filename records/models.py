import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from accounts.models import Membership, Organisation, User


class TenantModel(models.Model):
    """A row that belongs to one school: a public UUID and a scoped manager as its only manager.

    Each subclass declares its own `organisation` key (so the reverse name reads well); the
    manager refuses every query outside `accounts.scoping.organisation_scope`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        abstract = True


class Student(TenantModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="students"
    )
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    # The seed tool's "Roll": what the school calls the student; unique within the school.
    student_number = models.CharField(max_length=40)
    # The SIS's own id, for upserts from the API and OneRoster's sourcedId.
    external_id = models.CharField(max_length=128, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["family_name", "given_name", "student_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "student_number"],
                name="student_number_unique_per_organisation",
                violation_error_message="Another student of this school has that student number.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="student_external_id_unique_per_organisation",
                violation_error_message="Another student of this school has that external id.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.student_number})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class SchoolClass(TenantModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="school_classes"
    )
    name = models.CharField(max_length=80)
    external_id = models.CharField(max_length=128, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    students = models.ManyToManyField(Student, through="Enrollment", related_name="school_classes")
    teachers = models.ManyToManyField(
        Membership, through="TeacherAssignment", related_name="school_classes"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "class"
        verbose_name_plural = "classes"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="school_class_name_unique_per_organisation",
                violation_error_message="This school already has a class with that name.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="school_class_external_id_unique_per_organisation",
                violation_error_message="Another class of this school has that external id.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrollment(TenantModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="enrollments"
    )
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="enrollments"
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")

    class Meta:
        ordering = ["student__family_name", "student__given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "student"],
                name="enrollment_unique_student_per_class",
                violation_error_message="The student is already in this class.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.school_class}"


class TeacherAssignment(TenantModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teacher_assignments"
    )
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="teacher_assignments"
    )
    teacher = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="teacher_assignments"
    )

    class Meta:
        ordering = ["teacher__user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "teacher"],
                name="teacher_assignment_unique_per_class",
                violation_error_message="The teacher already teaches this class.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher.user} teaches {self.school_class}"


class SessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ClassSession(TenantModel):
    """One lesson's register for one class: opened by a teacher, closed when the lesson ends."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="class_sessions"
    )
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="sessions")
    # Kept when the teacher leaves the school: the register outlives the login.
    opened_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="opened_sessions"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "session"
        constraints = [
            models.UniqueConstraint(
                fields=["school_class"],
                condition=models.Q(status="open"),
                name="one_open_session_per_class",
                violation_error_message="This class already has an open session.",
            )
        ]
        indexes = [models.Index(fields=["organisation", "opened_at"])]

    def __str__(self) -> str:
        return f"{self.school_class} · {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    LATE = "late", "Late"
    ABSENT = "absent", "Absent"
    EXCUSED = "excused", "Excused"


class AttendanceSource(models.TextChoices):
    FACE = "face", "Face recognition"
    MANUAL = "manual", "Marked by hand"
    API = "api", "Student information system"
    ADMIN = "admin", "Django admin"


class AttendanceRecord(TenantModel):
    """A student's state in one session. Written only by `records.services`, which audits it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="attendance_records"
    )
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="records")
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="attendance_records"
    )
    status = models.CharField(max_length=8, choices=AttendanceStatus.choices)
    excuse_reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=AttendanceSource.choices)
    # When the student was first seen (face) or marked present/late (by hand); None if never.
    first_seen_at = models.DateTimeField(null=True, blank=True)
    # The embedding distance and model version of a face match, for later review.
    distance = models.FloatField(null=True, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    marked_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="marked_records",
    )

    class Meta:
        ordering = ["student__family_name", "student__given_name"]
        verbose_name = "attendance record"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "student"],
                name="attendance_record_unique_student_per_session",
                violation_error_message="The student already has a record in this session.",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "first_seen_at"]),
            # The API's keyset cursor (records/api/common.py): a page is an index range scan,
            # not a sort of every record of the school.
            models.Index(
                fields=["organisation", "updated_at", "public_id"], name="attendance_api_keyset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.get_status_display()} · {self.session}"


AUDIT_IMMUTABLE = "Audit rows cannot be changed or deleted."


class AuditQuerySet(models.QuerySet):
    """Bulk update and delete would rewrite history without a trace: refused."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(AUDIT_IMMUTABLE)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(AUDIT_IMMUTABLE)


class AttendanceChange(TenantModel):
    """The immutable audit trail of a record: who changed what, when, why, by which path.

    Rows are only ever inserted. They go away only with their record (a student erased), which
    the database cascade does without calling `delete()`.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="attendance_changes"
    )
    record = models.ForeignKey(AttendanceRecord, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    # "" for the record's first status.
    old_status = models.CharField(max_length=8, choices=AttendanceStatus.choices, blank=True)
    new_status = models.CharField(max_length=8, choices=AttendanceStatus.choices)
    reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=AttendanceSource.choices)
    updated_at = None  # never updated

    objects = ScopedManager(
        _manager_class=models.Manager.from_queryset(AuditQuerySet), organisation="organisation"
    )

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = "attendance change"

    def __str__(self) -> str:
        return f"{self.old_status or '—'} → {self.new_status} ({self.get_source_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(AUDIT_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(AUDIT_IMMUTABLE)


class TeacherExternalId(TenantModel):
    """A teacher's id in the student information system (OneRoster's sourcedId).

    Kept beside the Membership rather than on it, so a roster import can find the teacher it
    created last time without the accounts app knowing about rosters.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teacher_external_ids"
    )
    teacher = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="external_id_link"
    )
    external_id = models.CharField(max_length=128)

    class Meta:
        verbose_name = "teacher's external id"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                name="teacher_external_id_unique_per_organisation",
                violation_error_message="Another teacher of this school has that external id.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher.user} = {self.external_id}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportJob(TenantModel):
    """One uploaded OneRoster bundle: its preview, then its import in the background.

    The bundle's bytes live in the row, not on a disk, so a Celery worker on another machine
    reads the same bundle the admin previewed; they are cleared once the import has run.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="import_jobs"
    )
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    bundle = models.BinaryField(editable=False, default=b"")
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    # {"students": {"create": n, ...}, ...} and [{"file", "line", "reason"}, ...]
    preview = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "roster import"

    def __str__(self) -> str:
        return f"{self.filename} · {self.get_status_display()}"

    @property
    def can_confirm(self) -> bool:
        return self.status == ImportStatus.PREVIEWED and not self.problems


# ----------------------------------------------------------------------------- webhooks (issue 8)


class WebhookEvent(models.TextChoices):
    ATTENDANCE_MARKED = "attendance.marked", "A student's first mark in a session"
    ATTENDANCE_CHANGED = "attendance.changed", "A record's status changed"
    SESSION_CLOSED = "session.closed", "A session closed"
    ROSTER_CHANGED = "roster.changed", "A student, class, enrolment or teacher link changed"


class WebhookEndpoint(TenantModel):
    """Where a school's system wants to be told about changes (Standard Webhooks)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    # `whsec_<base64>`: needed in plaintext to sign, so kept as is (like a password of the
    # receiver's, not of ours); shown once to the admin.
    secret = models.CharField(max_length=80, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class WebhookDelivery(TenantModel):
    """The outbox: one event for one endpoint, written in the transaction of the change."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.get_status_display()})"

    @property
    def webhook_id(self) -> str:
        """The `webhook-id` header: the same on every attempt, so receivers can deduplicate."""
        return f"msg_{self.public_id.hex}"

import uuid
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_scopes import ScopedManager


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/London.")


class User(AbstractUser):
    """A person who logs in. Which school they belong to, and as what, is their Membership."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organisation(models.Model):
    """A school: the tenant. Every row that belongs to a school points here."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Children's biometric data: off until an admin decides otherwise.
    biometrics_enabled = models.BooleanField(default=False)
    # dlib embedding distances, as measured on real photos (recognition/engine/index.py
    # DEFAULT_ACCEPT / DEFAULT_SUGGEST); the README's "Tuning recognition" says how to change them.
    accept_threshold = models.FloatField(
        default=0.40, validators=[MinValueValidator(0.1), MaxValueValidator(1.0)]
    )
    suggest_threshold = models.FloatField(
        default=0.50, validators=[MinValueValidator(0.1), MaxValueValidator(1.0)]
    )
    late_after_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(240)]
    )
    correction_window_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 31)],
        help_text="How long after a session closes its teacher may still correct it; "
        "admins always may.",
    )
    retention_days = models.PositiveIntegerField(
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Face photos and embeddings are erased this many days after the last enrolment.",
    )
    # Ed-Fi attendance categories by status, where the school departs from the default mapping
    # (records/api/exports.py), e.g. {"late": "In Attendance"}.
    edfi_category_overrides = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suggest_threshold__gte=models.F("accept_threshold")),
                name="suggest_threshold_not_below_accept",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.accept_threshold is not None
            and self.suggest_threshold is not None
            and self.suggest_threshold < self.accept_threshold
        ):
            raise ValidationError(
                {"suggest_threshold": "The suggest threshold cannot be below the accept threshold."}
            )


class Role(models.TextChoices):
    ADMIN = "admin", "School admin"
    TEACHER = "teacher", "Teacher"


class Membership(models.Model):
    """A user's place in one school. One school per login: a teacher at two schools has two."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="membership_unique_user_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


# ----------------------------------------------------------------------------- API keys (issue 8)


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class ApiKey(models.Model):
    """A student information system's key to one school's API.

    The key is `sk_live_<8 characters>_<secret>`. The first part (the prefix) is stored as is, so
    an admin can tell keys apart and the authentication can find the row; of the secret only
    its SHA-256 is kept (the secret is 256 random bits, so a plain hash is enough, as
    healthchecks does). The plaintext is shown once, when the key is created.
    """

    PREFIX = "sk_live_"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=80, help_text="Which system uses it, e.g. “SIS sync”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute, so a busy client costs no write per request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["revoked_at", "-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.READ_WRITE

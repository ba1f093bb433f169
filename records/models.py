import uuid

from django.db import models
from django_scopes import ScopedManager

from accounts.models import Membership, Organisation


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

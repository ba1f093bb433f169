"""Every write to classes, students and their links.

Each service validates with `full_clean()` (so the database constraint is never the first to
notice a duplicate), refuses to link objects of two schools, and raises DomainError with a
message a school admin can act on.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.errors import Conflict, DomainError
from accounts.models import Membership, Organisation, Role
from records.models import Enrollment, SchoolClass, Student, TeacherAssignment

CROSS_SCHOOL = "That belongs to another school."
NOT_A_TEACHER = "Only a teacher of this school can be assigned to a class."
ARCHIVED_CLASS = "This class is archived; restore it before changing who is in it."
ARCHIVED_STUDENT = "This student is archived; restore them before enrolling them."

STUDENT_FIELDS = ("given_name", "family_name", "student_number", "external_id")
CLASS_FIELDS = ("name", "external_id")


def _validated_save(instance: models.Model) -> None:
    """full_clean, then save in a savepoint; a race that beats validation is still a 409."""
    try:
        instance.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=_field_of(instance, field, messages[0])) from error
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise Conflict(
            "That conflicts with a record saved at the same moment; try again."
        ) from error


def _field_of(instance: models.Model, field: str, message: str) -> str | None:
    """Django reports a unique-together clash as a whole-form error; name the field people typed."""
    if field != "__all__":
        return field
    for constraint in instance._meta.constraints:
        if getattr(constraint, "violation_error_message", None) == message:
            typed = [name for name in getattr(constraint, "fields", ()) if name != "organisation"]
            return typed[-1] if typed else None
    return None


def _same_school(organisation: Organisation, *objects: models.Model) -> None:
    for obj in objects:
        if obj.organisation_id != organisation.pk:
            raise DomainError(CROSS_SCHOOL, code="cross_organisation")


def _apply(instance: models.Model, allowed: tuple[str, ...], changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="unknown_field")
    for field, value in changes.items():
        setattr(instance, field, value.strip() if isinstance(value, str) else value)


def student_create(
    *,
    organisation: Organisation,
    given_name: str,
    family_name: str,
    student_number: str,
    external_id: str = "",
) -> Student:
    student = Student(organisation=organisation)
    _apply(
        student,
        STUDENT_FIELDS,
        {
            "given_name": given_name,
            "family_name": family_name,
            "student_number": student_number,
            "external_id": external_id,
        },
    )
    _validated_save(student)
    return student


def student_update(*, student: Student, **changes: Any) -> Student:
    _apply(student, STUDENT_FIELDS, changes)
    _validated_save(student)
    return student


def student_archive(*, student: Student) -> Student:
    """Archived students keep their history but leave every class roster."""
    with transaction.atomic():
        student.archived_at = timezone.now()
        student.save(update_fields=["archived_at", "updated_at"])
        student.enrollments.all().delete()
    return student


def student_restore(*, student: Student) -> Student:
    student.archived_at = None
    student.save(update_fields=["archived_at", "updated_at"])
    return student


def school_class_create(
    *, organisation: Organisation, name: str, external_id: str = ""
) -> SchoolClass:
    school_class = SchoolClass(organisation=organisation)
    _apply(school_class, CLASS_FIELDS, {"name": name, "external_id": external_id})
    _validated_save(school_class)
    return school_class


def school_class_update(*, school_class: SchoolClass, **changes: Any) -> SchoolClass:
    _apply(school_class, CLASS_FIELDS, changes)
    _validated_save(school_class)
    return school_class


def school_class_archive(*, school_class: SchoolClass) -> SchoolClass:
    school_class.archived_at = timezone.now()
    school_class.save(update_fields=["archived_at", "updated_at"])
    return school_class


def school_class_restore(*, school_class: SchoolClass) -> SchoolClass:
    school_class.archived_at = None
    school_class.save(update_fields=["archived_at", "updated_at"])
    return school_class


def enrollment_create(*, school_class: SchoolClass, student: Student) -> tuple[Enrollment, bool]:
    """Idempotent: enrolling a student twice returns the existing enrolment."""
    organisation = school_class.organisation
    _same_school(organisation, student)
    if school_class.archived_at is not None:
        raise DomainError(ARCHIVED_CLASS, code="archived")
    if student.archived_at is not None:
        raise DomainError(ARCHIVED_STUDENT, code="archived")
    return Enrollment.objects.get_or_create(
        organisation=organisation, school_class=school_class, student=student
    )


def enrollment_delete(*, school_class: SchoolClass, student: Student) -> bool:
    _same_school(school_class.organisation, student)
    deleted, _ = school_class.enrollments.filter(student=student).delete()
    return deleted > 0


def teacher_assign(
    *, school_class: SchoolClass, teacher: Membership
) -> tuple[TeacherAssignment, bool]:
    organisation = school_class.organisation
    _same_school(organisation, teacher)
    if teacher.role != Role.TEACHER:
        raise DomainError(NOT_A_TEACHER, code="not_a_teacher")
    if school_class.archived_at is not None:
        raise DomainError(ARCHIVED_CLASS, code="archived")
    return TeacherAssignment.objects.get_or_create(
        organisation=organisation, school_class=school_class, teacher=teacher
    )


def teacher_unassign(*, school_class: SchoolClass, teacher: Membership) -> bool:
    _same_school(school_class.organisation, teacher)
    deleted, _ = school_class.teacher_assignments.filter(teacher=teacher).delete()
    return deleted > 0

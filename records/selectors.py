"""Every read of classes and students, for one school and one viewer.

Selectors say the school out loud even though the scope would filter anyway: the scope is the
safety net, not the filter. A `*_get` raises the same NotFound whether the object is another
school's, not the viewer's, or does not exist.
"""

from uuid import UUID

from django.db.models import Count, Q, QuerySet

from accounts.errors import NotFound
from accounts.models import Membership, Organisation
from records.models import SchoolClass, Student

CLASS_NOT_FOUND = "No such class."
STUDENT_NOT_FOUND = "No such student."


def school_classes_for(
    *, membership: Membership, include_archived: bool = False
) -> QuerySet[SchoolClass]:
    """An admin sees every class of the school; a teacher sees the classes they teach."""
    classes = membership.organisation.school_classes.all()
    if not membership.is_admin:
        classes = classes.filter(teacher_assignments__teacher=membership)
    if not include_archived:
        classes = classes.filter(archived_at__isnull=True)
    return classes.annotate(
        student_count=Count("enrollments", distinct=True),
        teacher_count=Count("teacher_assignments", distinct=True),
    ).order_by("archived_at", "name")


def school_class_get(*, membership: Membership, public_id: UUID | str) -> SchoolClass:
    try:
        return school_classes_for(membership=membership, include_archived=True).get(
            public_id=public_id
        )
    except SchoolClass.DoesNotExist as error:
        raise NotFound(CLASS_NOT_FOUND) from error


def students_for(
    *, membership: Membership, search: str = "", include_archived: bool = False
) -> QuerySet[Student]:
    """An admin sees every student; a teacher sees the students of the classes they teach."""
    students = membership.organisation.students.all()
    if not membership.is_admin:
        students = students.filter(
            enrollments__school_class__teacher_assignments__teacher=membership
        ).distinct()
    if not include_archived:
        students = students.filter(archived_at__isnull=True)
    if search:
        students = students.filter(
            Q(given_name__icontains=search)
            | Q(family_name__icontains=search)
            | Q(student_number__icontains=search)
        )
    return students.order_by("archived_at", "family_name", "given_name")


def student_get(*, membership: Membership, public_id: UUID | str) -> Student:
    try:
        return students_for(membership=membership, include_archived=True).get(public_id=public_id)
    except Student.DoesNotExist as error:
        raise NotFound(STUDENT_NOT_FOUND) from error


def class_roster(*, school_class: SchoolClass) -> QuerySet[Student]:
    return school_class.students.filter(archived_at__isnull=True).order_by(
        "family_name", "given_name"
    )


def students_not_in_class(*, school_class: SchoolClass) -> QuerySet[Student]:
    return (
        school_class.organisation.students.filter(archived_at__isnull=True)
        .exclude(enrollments__school_class=school_class)
        .order_by("family_name", "given_name")
    )


def organisation_summary(*, organisation: Organisation) -> dict[str, int]:
    return {
        "students": organisation.students.filter(archived_at__isnull=True).count(),
        "classes": organisation.school_classes.filter(archived_at__isnull=True).count(),
        "teachers": organisation.memberships.filter(role="teacher").count(),
    }

"""The services refuse bad input with a message, save nothing half-way, never link two schools."""

import pytest

from accounts.errors import DomainError
from records import services
from records.models import Enrollment, Student


def test_a_duplicate_student_number_is_refused_with_a_message(school_a, school_b, in_school):
    with in_school(school_a.organisation):
        with pytest.raises(DomainError) as refused:
            services.student_create(
                organisation=school_a.organisation,
                given_name="Ada",
                family_name="Byron",
                student_number=school_a.student.student_number,
            )
        assert refused.value.field == "student_number"
        assert "Another student of this school has that student number" in refused.value.message
        assert Student.objects.count() == 1


def test_the_same_student_number_is_fine_in_another_school(school_a, school_b, in_school):
    with in_school(school_b.organisation):
        student = services.student_create(
            organisation=school_b.organisation,
            given_name="Ada",
            family_name="Byron",
            student_number=school_a.student.student_number,
        )
    assert student.organisation == school_b.organisation


def test_an_over_long_name_is_refused_and_nothing_saved(school_a, in_school):
    with in_school(school_a.organisation):
        with pytest.raises(DomainError) as refused:
            services.student_create(
                organisation=school_a.organisation,
                given_name="A" * 81,
                family_name="Byron",
                student_number="N1",
            )
        assert refused.value.field == "given_name"
        assert "at most 80 characters" in refused.value.message
        assert Student.objects.count() == 1


def test_a_teacher_of_school_b_cannot_be_assigned_to_a_school_a_class(
    school_a, school_b, in_school
):
    with in_school(school_a.organisation), pytest.raises(DomainError) as refused:
        services.teacher_assign(school_class=school_a.school_class, teacher=school_b.admin)
    assert refused.value.code == "cross_organisation"


def test_an_admin_is_not_assignable_as_a_teacher(school_a, in_school):
    with in_school(school_a.organisation), pytest.raises(DomainError) as refused:
        services.teacher_assign(school_class=school_a.school_class, teacher=school_a.admin)
    assert refused.value.code == "not_a_teacher"


def test_a_school_b_student_cannot_be_enrolled_in_a_school_a_class(school_a, school_b, in_school):
    with in_school(school_a.organisation):
        with pytest.raises(DomainError) as refused:
            services.enrollment_create(school_class=school_a.school_class, student=school_b.student)
        assert refused.value.code == "cross_organisation"
        assert Enrollment.objects.count() == 1


def test_enrolling_twice_keeps_one_enrolment(school_a, in_school):
    with in_school(school_a.organisation):
        _enrollment, created = services.enrollment_create(
            school_class=school_a.school_class, student=school_a.student
        )
        assert not created
        assert Enrollment.objects.count() == 1


def test_archiving_a_student_removes_them_from_every_roster(school_a, in_school):
    with in_school(school_a.organisation):
        services.student_archive(student=school_a.student)
        assert Enrollment.objects.count() == 0
        assert Student.objects.get().archived_at is not None


def test_an_archived_class_takes_no_new_students(school_a, in_school):
    with in_school(school_a.organisation):
        newcomer = services.student_create(
            organisation=school_a.organisation,
            given_name="Al",
            family_name="Khwarizmi",
            student_number="N2",
        )
        services.school_class_archive(school_class=school_a.school_class)
        with pytest.raises(DomainError, match="archived"):
            services.enrollment_create(school_class=school_a.school_class, student=newcomer)


def test_an_unknown_field_is_refused(school_a, in_school):
    with in_school(school_a.organisation), pytest.raises(DomainError, match="Unknown field"):
        services.student_update(student=school_a.student, organisation=None)

"""Factories that take the school from their parent, so none can build a cross-school link."""

import factory

from accounts.models import Membership, Organisation, Role, User
from records.models import (
    AttendanceRecord,
    AttendanceSource,
    AttendanceStatus,
    ClassSession,
    Enrollment,
    ImportJob,
    SchoolClass,
    SessionStatus,
    Student,
    TeacherAssignment,
)

PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"School {n}")
    slug = factory.Sequence(lambda n: f"school-{n}")
    timezone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TEACHER


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    organisation = factory.SubFactory(OrganisationFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    student_number = factory.Sequence(lambda n: f"S{n:05d}")


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Class {n}")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    school_class = factory.SubFactory(SchoolClassFactory)
    organisation = factory.SelfAttribute("school_class.organisation")
    student = factory.SubFactory(
        StudentFactory, organisation=factory.SelfAttribute("..organisation")
    )


class TeacherAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherAssignment

    school_class = factory.SubFactory(SchoolClassFactory)
    organisation = factory.SelfAttribute("school_class.organisation")
    teacher = factory.SubFactory(
        MembershipFactory, organisation=factory.SelfAttribute("..organisation")
    )


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    school_class = factory.SubFactory(SchoolClassFactory)
    organisation = factory.SelfAttribute("school_class.organisation")
    opened_by = factory.SubFactory(
        MembershipFactory, organisation=factory.SelfAttribute("..organisation"), role=Role.ADMIN
    )
    status = SessionStatus.OPEN


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    """A record as a database row, for reads; tests of writes go through the services."""

    class Meta:
        model = AttendanceRecord

    session = factory.SubFactory(ClassSessionFactory)
    organisation = factory.SelfAttribute("session.organisation")
    student = factory.SubFactory(
        StudentFactory, organisation=factory.SelfAttribute("..organisation")
    )
    status = AttendanceStatus.PRESENT
    source = AttendanceSource.MANUAL
    first_seen_at = factory.SelfAttribute("session.opened_at")


class ImportJobFactory(factory.django.DjangoModelFactory):
    """An upload whose preview found a problem: nothing to import."""

    class Meta:
        model = ImportJob

    organisation = factory.SubFactory(OrganisationFactory)
    filename = "roster.zip"
    problems = factory.LazyFunction(
        lambda: [{"file": "users.csv", "line": 2, "reason": "givenName is required."}]
    )

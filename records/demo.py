"""The demo data `make run` creates: a school to try, and a second one to show isolation."""

from django.db import transaction

from accounts.models import Organisation, Role
from accounts.scoping import organisation_scope
from accounts.services import member_create, organisation_create
from accounts.staff import school_staff_grant
from records.services import (
    enrollment_create,
    school_class_create,
    student_create,
    teacher_assign,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 -- printed for the demo; never used in production.
GIVEN = [
    "Ada",
    "Alan",
    "Grace",
    "Katherine",
    "Tim",
    "Margaret",
    "Linus",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "John",
    "Sophie",
    "Ken",
    "Annie",
    "Claude",
    "Mary",
    "Niklaus",
    "Karen",
    "Guido",
    "Shafi",
    "Leslie",
]
FAMILY = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Johnson",
    "Berners-Lee",
    "Hamilton",
    "Torvalds",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Thompson",
    "Easley",
    "Shannon",
    "Keller",
    "Wirth",
    "Spärck Jones",
    "van Rossum",
    "Goldwasser",
    "Lamport",
]


@transaction.atomic
def demo_create() -> tuple[bool, list[tuple[str, str]]]:
    logins = [
        ("demo-admin", "Demo School · school admin (also Django admin staff)"),
        ("demo-teacher", "Demo School · teacher of 7A and 7B"),
        ("demo-teacher2", "Demo School · teacher of 8C"),
        ("other-admin", "Other School · school admin"),
    ]
    if Organisation.objects.filter(slug="demo-school").exists():
        return False, logins

    demo = organisation_create(name="Demo School", slug="demo-school", timezone="Europe/London")
    with organisation_scope(demo):
        admin = member_create(
            organisation=demo,
            username="demo-admin",
            password=DEMO_PASSWORD,
            role=Role.ADMIN,
            first_name="Dana",
            last_name="Admin",
        )
        school_staff_grant(membership=admin)
        teacher = member_create(
            organisation=demo,
            username="demo-teacher",
            password=DEMO_PASSWORD,
            role=Role.TEACHER,
            first_name="Theo",
            last_name="Teacher",
        )
        teacher2 = member_create(
            organisation=demo,
            username="demo-teacher2",
            password=DEMO_PASSWORD,
            role=Role.TEACHER,
            first_name="Tess",
            last_name="Tutor",
        )
        classes = [school_class_create(organisation=demo, name=name) for name in ("7A", "7B", "8C")]
        teacher_assign(school_class=classes[0], teacher=teacher)
        teacher_assign(school_class=classes[1], teacher=teacher)
        teacher_assign(school_class=classes[2], teacher=teacher2)
        for index, (given, family) in enumerate(zip(GIVEN, FAMILY, strict=True)):
            student = student_create(
                organisation=demo,
                given_name=given,
                family_name=family,
                student_number=f"D{index + 1:03d}",
            )
            enrollment_create(school_class=classes[index % 3], student=student)

    other = organisation_create(
        name="Other School", slug="other-school", timezone="America/New_York"
    )
    with organisation_scope(other):
        member_create(
            organisation=other,
            username="other-admin",
            password=DEMO_PASSWORD,
            role=Role.ADMIN,
            first_name="Olga",
            last_name="Other",
        )
        other_class = school_class_create(organisation=other, name="Year 9")
        for index, (given, family) in enumerate([("Marie", "Curie"), ("Isaac", "Newton")]):
            student = student_create(
                organisation=other,
                given_name=given,
                family_name=family,
                student_number=f"O{index + 1:03d}",
            )
            enrollment_create(school_class=other_class, student=student)
    return True, logins

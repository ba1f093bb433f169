"""The demo data `make run` creates: a school to try, and a second one to show isolation."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, Role
from accounts.scoping import organisation_scope
from accounts.services import member_create, organisation_create
from accounts.staff import school_staff_grant
from records.models import SchoolClass
from records.services import (
    attendance_mark,
    enrollment_create,
    school_class_create,
    session_close,
    session_open,
    student_create,
    teacher_assign,
)

HISTORY_SCHOOL_DAYS = 15  # three weeks of past lessons, so the reports have something to show
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
        lessons = list(zip(classes, (teacher, teacher, teacher2), (9, 10, 11), strict=True))
        _history(lessons, zone=ZoneInfo(demo.timezone))

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


def _history(lessons: list[tuple[SchoolClass, Membership, int]], *, zone: ZoneInfo) -> None:
    """Past registers through the services (audit rows included): most students on time, a few
    late, a few absent when the teacher closes the register. Seeded, so every demo is alike."""
    rng = random.Random(2026)  # noqa: S311 -- demo data, not a secret
    days: list[date] = []
    day = timezone.localdate(timezone=zone)
    while len(days) < HISTORY_SCHOOL_DAYS:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    for day in reversed(days):
        for school_class, teacher, hour in lessons:
            opened_at = datetime.combine(day, time(hour, 0), tzinfo=zone)
            session, _ = session_open(school_class=school_class, opened_by=teacher, at=opened_at)
            for enrollment in school_class.enrollments.select_related("student"):
                roll = rng.random()
                if roll < 0.08:
                    continue  # not seen: absent at the close
                minutes = rng.uniform(0, 4) if roll < 0.9 else rng.uniform(6, 25)
                attendance_mark(
                    session=session,
                    student=enrollment.student,
                    source="manual",
                    actor=teacher.user,
                    at=opened_at + timedelta(minutes=minutes),
                )
            session_close(session=session, closed_by=teacher, at=opened_at + timedelta(minutes=50))

"""Applying a OneRoster bundle to one school: a preview first, then the import, all or nothing.

Keyed by sourcedId (`external_id` on Student and SchoolClass, TeacherExternalId for teachers),
so importing the same bundle twice changes nothing the second time. Rows the school made by hand
(no external id) are adopted when they match by student number, class name or username, and
otherwise left alone. Students and classes that came from the SIS and are no longer in the bundle
(or are marked `tobedeleted`) are archived, never deleted: their attendance stays.

Teachers arrive as logins without a password (an admin sets one on the Teachers page); a teacher
who leaves the bundle keeps their login and loses the classes the bundle no longer gives them.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, DomainError
from accounts.models import Membership, Organisation, Role, User
from records import oneroster
from records.models import (
    Enrollment,
    ImportJob,
    ImportStatus,
    SchoolClass,
    Student,
    TeacherAssignment,
    TeacherExternalId,
)
from records.oneroster import Bundle, Problem

BATCH = 1000
IMPORT_HAS_PROBLEMS = "The bundle has problems; fix them in the SIS export and upload it again."
IMPORT_NOT_CONFIRMABLE = "This import cannot run: it has problems or has already run."
EMPTY_FILE = "The file is empty."

Progress = Callable[[int, int], None]


class RosterInvalid(DomainError):
    """The bundle, or what it would do to this school, has problems: nothing was written."""

    code = "roster_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(IMPORT_HAS_PROBLEMS)
        self.problems = problems


@dataclass
class RosterPlan:
    """What an import will do. `counts` is what the preview shows; the rest is how."""

    counts: dict[str, dict[str, int]]
    problems: list[Problem] = field(default_factory=list)
    new_students: list[Student] = field(default_factory=list)
    changed_students: list[Student] = field(default_factory=list)
    archived_students: list[int] = field(default_factory=list)
    new_classes: list[SchoolClass] = field(default_factory=list)
    changed_classes: list[SchoolClass] = field(default_factory=list)
    archived_classes: list[int] = field(default_factory=list)
    new_teachers: list[tuple[str, User]] = field(default_factory=list)  # (sourcedId, user)
    changed_users: list[User] = field(default_factory=list)
    adopted_teachers: list[tuple[str, int]] = field(default_factory=list)  # (sourcedId, membership)
    enrollments: set[tuple[str, str]] = field(default_factory=set)  # (class id, student id)
    removed_enrollments: list[int] = field(default_factory=list)
    assignments: set[tuple[str, str]] = field(default_factory=set)  # (class id, teacher id)
    removed_assignments: list[int] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return sum(sum(kind.values()) - kind.get("unchanged", 0) for kind in self.counts.values())


def _empty_counts() -> dict[str, dict[str, int]]:
    actions = {"create": 0, "update": 0, "archive": 0, "unchanged": 0}
    return {
        "students": dict(actions),
        "classes": dict(actions),
        "teachers": {"create": 0, "update": 0, "unchanged": 0},
        "enrollments": {"create": 0, "delete": 0, "unchanged": 0},
        "teaching": {"create": 0, "delete": 0, "unchanged": 0},
    }


# ----------------------------------------------------------------------------- planning


def _plan_students(organisation: Organisation, bundle: Bundle, plan: RosterPlan) -> set[str]:
    counts = plan.counts["students"]
    rows = [u for u in bundle.users if u.role == "student" and u.status != "tobedeleted"]
    existing = list(organisation.students.all())
    by_external = {s.external_id: s for s in existing if s.external_id}
    by_number = {s.student_number: s for s in existing}
    numbers = Counter((u.identifier or u.username) for u in rows)
    wanted: set[str] = set()
    now = timezone.now()
    for user in rows:
        number = user.identifier or user.username
        if len(number) > 40:
            plan.problems.append(
                Problem(
                    "users.csv",
                    user.line,
                    "a student's identifier (or, without one, username) is their student number "
                    "and must be at most 40 characters.",
                )
            )
            continue
        if numbers[number] > 1:
            plan.problems.append(
                Problem("users.csv", user.line, f"student number “{number}” is on another row.")
            )
            continue
        student = by_external.get(user.sourced_id)
        holder = by_number.get(number)
        if student is None and holder is not None and not holder.external_id:
            student = holder  # made by hand before the school used its SIS: adopt it
        if holder is not None and holder is not student:
            plan.problems.append(
                Problem(
                    "users.csv",
                    user.line,
                    f"student number “{number}” belongs to {holder.full_name}, who has another "
                    "SIS id here.",
                )
            )
            continue
        wanted.add(user.sourced_id)
        values = {
            "given_name": user.given_name,
            "family_name": user.family_name,
            "student_number": number,
            "external_id": user.sourced_id,
        }
        if student is None:
            plan.new_students.append(Student(organisation=organisation, **values))
            counts["create"] += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(student, k) != v}
        if changed or student.archived_at is not None:
            for name, value in changed.items():
                setattr(student, name, value)
            student.archived_at = None
            student.updated_at = now
            plan.changed_students.append(student)
            counts["update"] += 1
        else:
            counts["unchanged"] += 1
    for student in existing:
        if (
            student.external_id
            and student.archived_at is None
            and student.external_id not in (wanted)
        ):
            plan.archived_students.append(student.pk)
            counts["archive"] += 1
    return wanted


def _class_names(bundle: Bundle) -> dict[str, str]:
    """A class's name is its title; titles shared by two classes get their code added."""
    rows = [c for c in bundle.classes if c.status != "tobedeleted"]
    titles = Counter(c.title for c in rows)
    return {
        c.sourced_id: c.title
        if titles[c.title] == 1
        else f"{c.title} ({c.class_code or c.sourced_id})"[:80]
        for c in rows
    }


def _plan_classes(organisation: Organisation, bundle: Bundle, plan: RosterPlan) -> set[str]:
    counts = plan.counts["classes"]
    names = _class_names(bundle)
    lines = {c.sourced_id: c.line for c in bundle.classes}
    existing = list(organisation.school_classes.all())
    by_external = {c.external_id: c for c in existing if c.external_id}
    by_name = {c.name: c for c in existing}
    wanted: set[str] = set()
    now = timezone.now()
    for sourced_id, name in names.items():
        school_class = by_external.get(sourced_id)
        holder = by_name.get(name)
        if school_class is None and holder is not None and not holder.external_id:
            school_class = holder
        if holder is not None and holder is not school_class:
            plan.problems.append(
                Problem(
                    "classes.csv",
                    lines[sourced_id],
                    f"the class name “{name}” is taken here by a class with another SIS id.",
                )
            )
            continue
        wanted.add(sourced_id)
        if school_class is None:
            plan.new_classes.append(
                SchoolClass(organisation=organisation, name=name, external_id=sourced_id)
            )
            counts["create"] += 1
        elif (
            school_class.name != name
            or school_class.external_id != sourced_id
            or school_class.archived_at is not None
        ):
            school_class.name, school_class.external_id = name, sourced_id
            school_class.archived_at = None
            school_class.updated_at = now
            plan.changed_classes.append(school_class)
            counts["update"] += 1
        else:
            counts["unchanged"] += 1
    for school_class in existing:
        if (
            school_class.external_id
            and school_class.archived_at is None
            and school_class.external_id not in wanted
        ):
            plan.archived_classes.append(school_class.pk)
            counts["archive"] += 1
    return wanted


def _plan_teachers(organisation: Organisation, bundle: Bundle, plan: RosterPlan) -> set[str]:
    counts = plan.counts["teachers"]
    rows = [u for u in bundle.users if u.role == "teacher" and u.status != "tobedeleted"]
    links = {
        link.external_id: link.teacher
        for link in TeacherExternalId.objects.filter(organisation=organisation).select_related(
            "teacher__user"
        )
    }
    linked = {membership.pk for membership in links.values()}
    members = {m.user.username: m for m in organisation.memberships.select_related("user").all()}
    taken = set(
        User.objects.filter(username__in=[u.username for u in rows]).values_list(
            "username", flat=True
        )
    )
    validate_username = UnicodeUsernameValidator()
    usernames = Counter(u.username for u in rows)
    wanted: set[str] = set()
    for user in rows:
        membership = links.get(user.sourced_id)
        if membership is None:
            try:
                validate_username(user.username)
            except ValidationError:
                plan.problems.append(
                    Problem(
                        "users.csv",
                        user.line,
                        f"username “{user.username}” may hold only letters, digits and @.+-_.",
                    )
                )
                continue
            if usernames[user.username] > 1:
                plan.problems.append(
                    Problem(
                        "users.csv", user.line, f"username “{user.username}” is on another row."
                    )
                )
                continue
            member = members.get(user.username)
            if member is not None:
                if member.role != Role.TEACHER or member.pk in linked:
                    plan.problems.append(
                        Problem(
                            "users.csv",
                            user.line,
                            f"username “{user.username}” is already a "
                            f"{member.get_role_display().lower()} of this school with another "
                            "SIS id.",
                        )
                    )
                    continue
                plan.adopted_teachers.append((user.sourced_id, member.pk))
                membership = member
            elif user.username in taken:
                plan.problems.append(
                    Problem(
                        "users.csv",
                        user.line,
                        f"username “{user.username}” is taken by a login outside this school; "
                        "change it in the SIS.",
                    )
                )
                continue
        wanted.add(user.sourced_id)
        if membership is None:
            new_user = User(
                username=user.username,
                first_name=user.given_name[:150],
                last_name=user.family_name[:150],
                email=user.email,
                is_active=user.enabled,
                password=make_password(None),  # no password until an admin sets one
            )
            plan.new_teachers.append((user.sourced_id, new_user))
            counts["create"] += 1
            continue
        login = membership.user
        values = {"first_name": user.given_name, "last_name": user.family_name, "email": user.email}
        if any(getattr(login, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(login, name, value)
            plan.changed_users.append(login)
            counts["update"] += 1
        elif membership.pk in {pk for _, pk in plan.adopted_teachers}:
            counts["update"] += 1
        else:
            counts["unchanged"] += 1
    return wanted


def _plan_links(
    organisation: Organisation,
    bundle: Bundle,
    plan: RosterPlan,
    classes: set[str],
    students: set[str],
    teachers: set[str],
) -> None:
    """Enrolments and teaching: for each class of the bundle, exactly the bundle's people."""
    for row in bundle.enrollments:
        if row.status == "tobedeleted" or row.class_sourced_id not in classes:
            continue
        if row.role == "student" and row.user_sourced_id in students:
            plan.enrollments.add((row.class_sourced_id, row.user_sourced_id))
        elif row.role == "teacher" and row.user_sourced_id in teachers:
            plan.assignments.add((row.class_sourced_id, row.user_sourced_id))
    archived = set(plan.archived_students)
    existing_enrollments = Enrollment.objects.filter(
        organisation=organisation, school_class__external_id__in=classes
    ).values_list("pk", "school_class__external_id", "student__external_id", "student_id")
    kept = set()
    for pk, class_id, student_id, student_pk in existing_enrollments:
        pair = (class_id, student_id)
        if pair in plan.enrollments:
            kept.add(pair)
        elif student_id and student_pk not in archived:
            # Only the SIS's students leave a class because the SIS says so; archiving a
            # student removes their enrolments already.
            plan.removed_enrollments.append(pk)
    counts = plan.counts["enrollments"]
    counts["unchanged"] = len(kept)
    counts["create"] = len(plan.enrollments - kept)
    counts["delete"] = len(plan.removed_enrollments)
    plan.enrollments -= kept

    existing_assignments = TeacherAssignment.objects.filter(
        organisation=organisation, school_class__external_id__in=classes
    ).values_list("pk", "school_class__external_id", "teacher__external_id_link__external_id")
    kept = set()
    for pk, class_id, teacher_id in existing_assignments:
        pair = (class_id, teacher_id)
        if pair in plan.assignments:
            kept.add(pair)
        elif teacher_id:
            plan.removed_assignments.append(pk)
    # An adopted teacher has no link yet: their existing assignments count as kept.
    adopted = dict(plan.adopted_teachers)
    if adopted:
        adopted_pairs = set(
            TeacherAssignment.objects.filter(
                organisation=organisation,
                school_class__external_id__in=classes,
                teacher_id__in=adopted.values(),
            ).values_list("school_class__external_id", "teacher_id")
        )
        kept |= {
            (class_id, sourced_id)
            for class_id, sourced_id in plan.assignments
            if (class_id, adopted.get(sourced_id)) in adopted_pairs
        }
    counts = plan.counts["teaching"]
    counts["unchanged"] = len(kept)
    counts["create"] = len(plan.assignments - kept)
    counts["delete"] = len(plan.removed_assignments)
    plan.assignments -= kept


def roster_plan(*, organisation: Organisation, bundle: Bundle) -> RosterPlan:
    """What importing the bundle would do to this school; reads only (about ten queries)."""
    plan = RosterPlan(counts=_empty_counts())
    students = _plan_students(organisation, bundle, plan)
    classes = _plan_classes(organisation, bundle, plan)
    teachers = _plan_teachers(organisation, bundle, plan)
    _plan_links(organisation, bundle, plan, classes, students, teachers)
    return plan


def roster_preview(*, organisation: Organisation, data: bytes) -> RosterPlan:
    """Parse and plan without writing. Raises RosterInvalid (or DomainError for the zip)."""
    bundle = _parse(data)
    plan = roster_plan(organisation=organisation, bundle=bundle)
    if plan.problems:
        raise RosterInvalid(plan.problems)
    return plan


def _parse(data: bytes) -> Bundle:
    if not data:
        raise DomainError(EMPTY_FILE, field="bundle")
    try:
        parsed = oneroster.bundle_parse(data)
    except oneroster.BundleRefused as error:
        raise DomainError(error.message, field="bundle", code="bundle_refused") from error
    if isinstance(parsed, list):
        raise RosterInvalid(parsed)
    return parsed


# ----------------------------------------------------------------------------- applying


class _Ticker:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.done, self.total, self.progress = 0, max(total, 1), progress

    def tick(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


def _batches(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


@transaction.atomic
def roster_import(
    *, organisation: Organisation, data: bytes, progress: Progress | None = None
) -> RosterPlan:
    """Import the bundle into the school in one transaction; any problem writes nothing.

    The plan is made again inside the transaction: the school may have changed since the
    preview. `progress(done, total)` is called between batches.
    """
    bundle = _parse(data)
    plan = roster_plan(organisation=organisation, bundle=bundle)
    if plan.problems:
        raise RosterInvalid(plan.problems)
    ticker = _Ticker(plan.writes, progress)
    now = timezone.now()

    for batch in _batches(plan.new_students):
        Student.objects.bulk_create(batch)
        ticker.tick(len(batch))
    fields = ["given_name", "family_name", "student_number", "external_id", "archived_at"]
    for batch in _batches(plan.changed_students):
        Student.objects.bulk_update(batch, [*fields, "updated_at"])
        ticker.tick(len(batch))
    for batch in _batches(plan.archived_students):
        organisation.students.filter(pk__in=batch).update(archived_at=now, updated_at=now)
        Enrollment.objects.filter(organisation=organisation, student__in=batch).delete()
        ticker.tick(len(batch))

    for batch in _batches(plan.new_classes):
        SchoolClass.objects.bulk_create(batch)
        ticker.tick(len(batch))
    for batch in _batches(plan.changed_classes):
        SchoolClass.objects.bulk_update(batch, ["name", "external_id", "archived_at", "updated_at"])
        ticker.tick(len(batch))
    for batch in _batches(plan.archived_classes):
        organisation.school_classes.filter(pk__in=batch).update(archived_at=now, updated_at=now)
        ticker.tick(len(batch))

    for batch in _batches(plan.new_teachers):
        users = User.objects.bulk_create([user for _, user in batch])
        by_username = dict(
            User.objects.filter(username__in=[u.username for u in users]).values_list(
                "username", "pk"
            )
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    organisation=organisation, user_id=by_username[u.username], role=Role.TEACHER
                )
                for u in users
            ]
        )
        ticker.tick(len(batch))
    for batch in _batches(plan.changed_users):
        User.objects.bulk_update(batch, ["first_name", "last_name", "email"])
        ticker.tick(len(batch))
    new_usernames = {user.username: sourced_id for sourced_id, user in plan.new_teachers}
    links = [
        TeacherExternalId(organisation=organisation, teacher_id=pk, external_id=sourced_id)
        for sourced_id, pk in plan.adopted_teachers
    ]
    links += [
        TeacherExternalId(
            organisation=organisation, teacher_id=pk, external_id=new_usernames[username]
        )
        for pk, username in organisation.memberships.filter(
            user__username__in=list(new_usernames)
        ).values_list("pk", "user__username")
    ]
    for batch in _batches(links):
        TeacherExternalId.objects.bulk_create(batch)

    class_ids = dict(
        organisation.school_classes.exclude(external_id="").values_list("external_id", "pk")
    )
    student_ids = dict(
        organisation.students.exclude(external_id="").values_list("external_id", "pk")
    )
    teacher_ids = dict(
        TeacherExternalId.objects.filter(organisation=organisation).values_list(
            "external_id", "teacher_id"
        )
    )
    for batch in _batches(plan.removed_enrollments):
        Enrollment.objects.filter(organisation=organisation, pk__in=batch).delete()
        ticker.tick(len(batch))
    for batch in _batches(sorted(plan.enrollments)):
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    organisation=organisation,
                    school_class_id=class_ids[class_id],
                    student_id=student_ids[student_id],
                )
                for class_id, student_id in batch
            ],
            ignore_conflicts=True,  # an adopted student already in the class
        )
        ticker.tick(len(batch))
    for batch in _batches(plan.removed_assignments):
        TeacherAssignment.objects.filter(organisation=organisation, pk__in=batch).delete()
        ticker.tick(len(batch))
    for batch in _batches(sorted(plan.assignments)):
        TeacherAssignment.objects.bulk_create(
            [
                TeacherAssignment(
                    organisation=organisation,
                    school_class_id=class_ids[class_id],
                    teacher_id=teacher_ids[teacher_id],
                )
                for class_id, teacher_id in batch
            ],
            ignore_conflicts=True,
        )
        ticker.tick(len(batch))
    return plan


# ----------------------------------------------------------------------------- jobs


def _progress_key(job: ImportJob) -> str:
    return f"records:import-progress:{job.pk}"


def import_job_progress(*, job: ImportJob) -> tuple[int, int]:
    """(done, total) of a running import: kept in the cache, because the import's own
    transaction hides its row's changes from every other connection until it commits."""
    if job.status != ImportStatus.RUNNING:
        return job.progress_done, job.progress_total
    done, total = cache.get(_progress_key(job), (0, job.progress_total))
    return done, total


def import_job_create(
    *, organisation: Organisation, created_by: Membership, filename: str, data: bytes
) -> ImportJob:
    """Keep the upload with its preview; problems are stored for the page, not raised."""
    if created_by.organisation_id != organisation.pk:
        raise DomainError("That belongs to another school.", code="cross_organisation")
    job = ImportJob(
        organisation=organisation,
        created_by=created_by,
        filename=filename[:200],
        size=len(data),
    )
    try:
        plan = roster_preview(organisation=organisation, data=data)
    except RosterInvalid as error:
        job.problems = [p.as_dict() for p in oneroster.problems_summary(error.problems)]
    else:
        job.preview = plan.counts
        job.progress_total = plan.writes
        job.bundle = data
    job.save()
    return job


def import_job_confirm(*, job: ImportJob) -> ImportJob:
    """Queue the import; it runs in the background (at once when Celery is eager)."""
    from records.tasks import roster_import_run  # tasks import services: enqueue lazily

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not job.can_confirm:
            raise Conflict(IMPORT_NOT_CONFIRMABLE)
        job.status = ImportStatus.QUEUED
        job.save(update_fields=["status", "updated_at"])
        organisation_id, job_id = job.organisation_id, job.pk
        transaction.on_commit(
            lambda: roster_import_run.delay(organisation_id=organisation_id, job_id=job_id)
        )
    return job


def import_job_run(*, job: ImportJob) -> ImportJob:
    """The task's body: import the job's bundle, recording progress and the outcome.

    Run again after a crash (the broker redelivers), it starts over: the failed transaction
    left nothing behind.
    """
    job = ImportJob.objects.get(pk=job.pk)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return job
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.progress_done = 0
    job.save(update_fields=["status", "started_at", "progress_done", "updated_at"])
    key = _progress_key(job)

    def progress(done: int, total: int) -> None:
        cache.set(key, (done, total), timeout=6 * 3600)

    try:
        plan = roster_import(
            organisation=job.organisation, data=bytes(job.bundle), progress=progress
        )
    except RosterInvalid as error:
        job.status = ImportStatus.FAILED
        job.error = error.message
        job.problems = [p.as_dict() for p in oneroster.problems_summary(error.problems)]
    except DomainError as error:
        job.status = ImportStatus.FAILED
        job.error = error.message
    else:
        job.status = ImportStatus.DONE
        job.result = plan.counts
        job.progress_total = plan.writes
        job.progress_done = plan.writes
        job.bundle = b""  # imported: the roster now lives in the tables
    job.finished_at = timezone.now()
    job.save()
    cache.delete(key)
    return job

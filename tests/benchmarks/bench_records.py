"""Speed of the attendance reports, the streamed CSV export and the OneRoster import.

    .venv/bin/python tests/benchmarks/bench_records.py [--records 1000000] [--keep]

Uses DATABASE_URL when set (a bench school is created there and deleted at the end), else a
temporary SQLite file. Figures printed:
  - class register, 30 students x 200 sessions: time and query count
  - school summary, 1,000 students x 1 year (about 1,000,000 records): time and query count
  - CSV export of every record of that year: time, rows and peak Python memory (tracemalloc)
  - OneRoster import of 5,000 users / 20,000 enrolments: preview, import, re-import
"""

import argparse
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

_tmp = None
if not os.environ.get("DATABASE_URL"):
    _tmp = tempfile.TemporaryDirectory(prefix="bench-records-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp.name}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")

import django  # noqa: E402  (settings must see DATABASE_URL first)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Organisation  # noqa: E402
from accounts.scoping import organisation_scope  # noqa: E402
from records import reports, services  # noqa: E402
from records.models import (  # noqa: E402
    AttendanceRecord,
    ClassSession,
    Enrollment,
    SchoolClass,
    Student,
)

LONDON = ZoneInfo("Europe/London")
BATCH = 5000
STATUSES = ["present"] * 85 + ["late"] * 7 + ["absent"] * 6 + ["excused"] * 2


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_bytes(rows) -> tuple[int, int]:
    """Format every row as the view does, counting rows and bytes, keeping none."""
    import csv

    writer = csv.writer(_Echo())
    count = size = 0
    for row in rows:
        size += len(writer.writerow(row))
        count += 1
    return count, size


def timed(label: str, function):
    connection.queries_log.clear()  # the log keeps 9,000 queries; data generation filled it
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - started
    print(f"{label:<58} {elapsed * 1000:>9.0f} ms  {len(queries.captured_queries):>4} queries")
    return result, elapsed


def school_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def make_school(slug: str) -> Organisation:
    return Organisation.objects.create(name=f"Bench {slug}", slug=slug, timezone="Europe/London")


def make_students(org: Organisation, n: int, prefix: str) -> list[int]:
    Student.objects.bulk_create(
        [
            Student(
                organisation=org,
                given_name=f"Given{i}",
                family_name=f"Family{i:05d}",
                student_number=f"{prefix}{i:05d}",
            )
            for i in range(n)
        ],
        batch_size=BATCH,
    )
    return list(
        org.students.filter(student_number__startswith=prefix)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def make_class(org: Organisation, name: str, student_ids: list[int]) -> SchoolClass:
    school_class = SchoolClass.objects.create(organisation=org, name=name)
    Enrollment.objects.bulk_create(
        [
            Enrollment(organisation=org, school_class=school_class, student_id=s)
            for s in student_ids
        ],
        batch_size=BATCH,
    )
    return school_class


def make_sessions(
    org: Organisation, school_class: SchoolClass, days: list[date], per_day: int
) -> list[ClassSession]:
    sessions = [
        ClassSession(
            organisation=org,
            school_class=school_class,
            opened_at=datetime(d.year, d.month, d.day, 8 + n, 30, tzinfo=LONDON),
            closed_at=datetime(d.year, d.month, d.day, 9 + n, 20, tzinfo=LONDON),
            status="closed",
        )
        for d in days
        for n in range(per_day)
    ]
    ClassSession.objects.bulk_create(sessions, batch_size=BATCH)
    return list(
        org.class_sessions.filter(school_class=school_class)
        .order_by("opened_at")
        .values_list("pk", "opened_at")
    )


def make_records(org: Organisation, sessions, student_ids: list[int], rng: random.Random) -> int:
    """Records of every student in every session, written in batches (never all in memory)."""
    batch: list[AttendanceRecord] = []
    written = 0
    for session_id, opened_at in sessions:
        for student_id in student_ids:
            status = rng.choice(STATUSES)
            batch.append(
                AttendanceRecord(
                    organisation=org,
                    session_id=session_id,
                    student_id=student_id,
                    status=status,
                    source="face" if status in ("present", "late") else "manual",
                    first_seen_at=opened_at if status in ("present", "late") else None,
                )
            )
            if len(batch) == BATCH:
                AttendanceRecord.objects.bulk_create(batch)
                written += len(batch)
                batch = []
    if batch:
        AttendanceRecord.objects.bulk_create(batch)
        written += len(batch)
    return written


# ----------------------------------------------------------------------------- OneRoster


def cols(header: str) -> list[str]:
    return header.split(",")


def oneroster_bundle(tag: str, students: int, teachers: int, classes: int, per_student: int):
    def table(rows):
        return "\n".join(",".join(row) for row in rows).encode()

    users = [
        cols(
            "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,"
            "familyName,identifier,email"
        )
    ]
    users += [
        [f"s{i}", "", "", "true", "org", "student", f"{tag}s{i}", f"G{i}", f"F{i}", f"N{i}", ""]
        for i in range(students)
    ]
    users += [
        [f"t{i}", "", "", "true", "org", "teacher", f"{tag}t{i}", f"T{i}", f"L{i}", "", ""]
        for i in range(teachers)
    ]
    class_rows = [
        cols(
            "sourcedId,status,dateLastModified,title,courseSourcedId,classCode,classType,"
            "schoolSourcedId,termSourcedIds"
        )
    ]
    class_rows += [
        [f"c{i}", "", "", f"Class {i:03d}", "course", f"C{i}", "scheduled", "org", "term"]
        for i in range(classes)
    ]
    enrollments = [
        cols(
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
            "primary,beginDate,endDate"
        )
    ]
    for i in range(students):
        for k in range(per_student):
            c = (i + k * 37) % classes
            enrollments.append([f"e{i}-{k}", "", "", f"c{c}", "org", f"s{i}", "student"] + [""] * 3)
    for i in range(teachers):
        for k in range(per_student):
            c = (i * per_student + k) % classes
            enrollments.append(
                [f"et{i}-{k}", "", "", f"c{c}", "org", f"t{i}", "teacher"] + [""] * 3
            )
    files = {
        "manifest.csv": [
            ["propertyName", "value"],
            ["manifest.version", "1.0"],
            ["oneroster.version", "1.2"],
            *[
                [f"file.{n}", "bulk"]
                for n in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
            ],
        ],
        "orgs.csv": [
            cols("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"),
            ["org", "", "", "Bench", "school", "", ""],
        ],
        "academicSessions.csv": [
            cols(
                "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,"
                "schoolYear"
            ),
            ["term", "", "", "Year", "schoolYear", "2025-09-01", "2026-07-17", "", "2026"],
        ],
        "courses.csv": [
            cols(
                "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,orgSourcedId"
            ),
            ["course", "", "", "term", "Course", "C", "org"],
        ],
        "classes.csv": class_rows,
        "users.csv": users,
        "enrollments.csv": enrollments,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            archive.writestr(name, table(rows))
    return buffer.getvalue(), len(users) - 1, len(enrollments) - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the year")
    parser.add_argument("--keep", action="store_true", help="keep the bench schools")
    args = parser.parse_args()
    vendor = connection.vendor
    print(f"Database: {vendor} ({'temporary file' if _tmp else 'DATABASE_URL'})")
    started_all = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(7)  # noqa: S311  (sample data, not a secret)
    tag = uuid.uuid4().hex[:6]
    orgs = []
    try:
        # ------------------------------------------------------------ class register
        org = make_school(f"bench-register-{tag}")
        orgs.append(org)
        with organisation_scope(org):
            students = make_students(org, 30, "R")
            school_class = make_class(org, "Register 30", students)
            days = school_days(date(2025, 9, 1), date(2026, 7, 17))[:200]
            sessions = make_sessions(org, school_class, days, per_day=1)
            make_records(org, sessions, students, rng)
            print(f"\nClass register: 30 students x {len(sessions)} sessions")
            register, _ = timed(
                "  class_register (page data)",
                lambda: reports.class_register(
                    organisation=org, school_class=school_class, start=days[0], end=days[-1]
                ),
            )
            assert len(register.rows) == 30
            timed(
                "  class register CSV (all rows formatted)",
                lambda: _csv_bytes(
                    reports.class_register_csv_rows(
                        organisation=org, school_class=school_class, start=days[0], end=days[-1]
                    )
                ),
            )

        # ------------------------------------------------------------ school summary
        org = make_school(f"bench-school-{tag}")
        orgs.append(org)
        with organisation_scope(org):
            generated = time.perf_counter()
            student_ids = make_students(org, 1000, "Y")
            year = school_days(date(2025, 8, 4), date(2026, 8, 3))  # 52 weeks
            classes = 40
            per_day = max(1, round(args.records / (1000 * len(year))))
            sessions_total = records = 0
            for c in range(classes):
                members = student_ids[c * 25 : (c + 1) * 25]
                school_class = make_class(org, f"Class {c:02d}", members)
                sessions = make_sessions(org, school_class, year, per_day=per_day)
                sessions_total += len(sessions)
                records += make_records(org, sessions, members, rng)
            print(
                f"\nSchool summary: 1,000 students, {classes} classes, {len(year)} school days, "
                f"{sessions_total:,} sessions, {records:,} records "
                f"(generated in {time.perf_counter() - generated:.0f} s)"
            )
            summary, _ = timed(
                "  school_summary (by day and by class)",
                lambda: reports.school_summary(organisation=org, start=year[0], end=year[-1]),
            )
            assert summary.totals.recorded == records
            timed(
                "  school summary CSV (day x class lines)",
                lambda: _csv_bytes(
                    reports.school_summary_csv_rows(organisation=org, start=year[0], end=year[-1])
                ),
            )

            # -------------------------------------------------------- CSV of every record
            print(f"\nCSV export of every record of the year ({records:,} rows)")
            (count, size), elapsed = timed(
                "  records CSV, streamed",
                lambda: _csv_bytes(
                    reports.records_csv_rows(organisation=org, start=year[0], end=year[-1])
                ),
            )
            print(f"  {count - 1:,} rows, {size / 1e6:.0f} MB, {count / elapsed:,.0f} rows/s")
            tracemalloc.start()
            _csv_bytes(reports.records_csv_rows(organisation=org, start=year[0], end=year[-1]))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"  peak Python memory while streaming (tracemalloc): {peak / 1e6:.1f} MB")

        # ------------------------------------------------------------ OneRoster import
        org = make_school(f"bench-roster-{tag}")
        orgs.append(org)
        data, users, enrollments = oneroster_bundle(
            tag, students=4800, teachers=200, classes=200, per_student=4
        )
        print(
            f"\nOneRoster import: {users:,} users, {enrollments:,} enrolments, "
            f"{len(data) / 1e6:.1f} MB zip"
        )
        with organisation_scope(org):
            plan, _ = timed(
                "  preview (parse + plan)",
                lambda: services.roster_preview(organisation=org, data=data),
            )
            plan, _ = timed(
                "  import (one transaction)",
                lambda: services.roster_import(organisation=org, data=data),
            )
            print(f"  wrote {plan.writes:,} changes: {plan.counts}")
            again, _ = timed(
                "  re-import of the same bundle",
                lambda: services.roster_import(organisation=org, data=data),
            )
            print(f"  second import wrote {again.writes} changes")
    finally:
        if not args.keep and not _tmp:
            # A shared database: remove the bench schools. The records go first in one
            # statement; Django's cascade would load a million rows to delete them one by one.
            from accounts.models import User

            table = AttendanceRecord._meta.db_table
            with connection.cursor() as cursor:
                for org in orgs:
                    cursor.execute(f"DELETE FROM {table} WHERE organisation_id = %s", [org.pk])  # noqa: S608
            User.objects.filter(username__startswith=tag).delete()
            for org in orgs:
                org.delete()
    print(f"\nWhole bench: {time.perf_counter() - started_all:.0f} s")


if __name__ == "__main__":
    main()

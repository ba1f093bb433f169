"""OneRoster 1.2 CSV bundles: a valid bundle written here, its preview and import, re-import
idempotence, every kind of bad row (file, line, reason), tolerance of BOM, CRLF and column order,
size limits, all or nothing, the background job and the management command."""

import csv
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, Role
from records import oneroster, services
from records.models import (
    Enrollment,
    ImportJob,
    ImportStatus,
    SchoolClass,
    Student,
    TeacherAssignment,
)
from tests.factories import EnrollmentFactory, MembershipFactory, StudentFactory

MANIFEST = [
    ("propertyName", "value"),
    ("manifest.version", "1.0"),
    ("oneroster.version", "1.2"),
    *[
        (f"file.{name}", "bulk")
        for name in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
    ],
]


def valid_tables():
    """A school of two classes, three students and a teacher, as a SIS would export it."""
    return {
        "manifest.csv": MANIFEST,
        "orgs.csv": [
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "name",
                "type",
                "identifier",
                "parentSourcedId",
            ),
            ("org-1", "", "", "Alder School", "school", "ALD", ""),
        ],
        "academicSessions.csv": [
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "type",
                "startDate",
                "endDate",
                "parentSourcedId",
                "schoolYear",
            ),
            ("term-1", "", "", "2026 Spring", "term", "2026-01-05", "2026-07-17", "", "2026"),
        ],
        "courses.csv": [
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "schoolYearSourcedId",
                "title",
                "courseCode",
                "grades",
                "orgSourcedId",
                "subjects",
                "subjectCodes",
            ),
            ("course-1", "", "", "term-1", "Physics", "PHY", "09", "org-1", "", ""),
        ],
        "classes.csv": [
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "grades",
                "courseSourcedId",
                "classCode",
                "classType",
                "location",
                "schoolSourcedId",
                "termSourcedIds",
                "subjects",
                "subjectCodes",
                "periods",
            ),
            (
                "class-1",
                "",
                "",
                "9A Physics",
                "09",
                "course-1",
                "9A-PHY",
                "scheduled",
                "Lab 1",
                "org-1",
                "term-1",
                "",
                "",
                "1",
            ),
            (
                "class-2",
                "",
                "",
                "9B Physics",
                "09",
                "course-1",
                "9B-PHY",
                "scheduled",
                "Lab 2",
                "org-1",
                "term-1",
                "",
                "",
                "2",
            ),
        ],
        "users.csv": [
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "enabledUser",
                "orgSourcedIds",
                "role",
                "username",
                "userIds",
                "givenName",
                "familyName",
                "middleName",
                "identifier",
                "email",
                "sms",
                "phone",
                "agentSourcedIds",
                "grades",
                "password",
            ),
            (
                "stu-1",
                "",
                "",
                "true",
                "org-1",
                "student",
                "rfranklin",
                "",
                "Rosalind",
                "Franklin",
                "",
                "1001",
                "",
                "",
                "",
                "",
                "09",
                "",
            ),
            (
                "stu-2",
                "",
                "",
                "true",
                "org-1",
                "student",
                "aturing",
                "",
                "Alan",
                "Turing",
                "",
                "1002",
                "",
                "",
                "",
                "",
                "09",
                "",
            ),
            (
                "stu-3",
                "",
                "2026-02-01T10:00:00Z",
                "true",
                "org-1",
                "student",
                "mcurie",
                "",
                "Marie",
                "Curie",
                "",
                "1003",
                "",
                "",
                "",
                "",
                "09",
                "",
            ),
            (
                "tea-1",
                "",
                "",
                "true",
                "org-1",
                "teacher",
                "lmeitner",
                "",
                "Lise",
                "Meitner",
                "",
                "",
                "lise@example.org",
                "",
                "",
                "",
                "",
                "",
            ),
            (
                "par-1",
                "",
                "",
                "true",
                "org-1",
                "parent",
                "pfranklin",
                "",
                "Parent",
                "Franklin",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ),
        ],
        "enrollments.csv": [
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "classSourcedId",
                "schoolSourcedId",
                "userSourcedId",
                "role",
                "primary",
                "beginDate",
                "endDate",
            ),
            ("enr-1", "", "", "class-1", "org-1", "stu-1", "student", "false", "", ""),
            ("enr-2", "", "", "class-1", "org-1", "stu-2", "student", "false", "", ""),
            ("enr-3", "", "", "class-2", "org-1", "stu-3", "student", "false", "", ""),
            ("enr-4", "", "", "class-1", "org-1", "tea-1", "teacher", "true", "", ""),
            ("enr-5", "", "", "class-2", "org-1", "tea-1", "teacher", "true", "", ""),
        ],
    }


def write_bundle(tables, *, bom=False, crlf=False, reverse_columns=False, compression=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression or zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            if rows is None:
                continue
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n" if crlf else "\n")
            for row in rows:
                writer.writerow(list(reversed(row)) if reverse_columns else row)
            data = text.getvalue().encode()
            archive.writestr(name, (b"\xef\xbb\xbf" + data) if bom else data)
    return buffer.getvalue()


def with_row(tables, name, index, **changes):
    """The tables with one row's columns changed (index 1 is the first data row)."""
    header = tables[name][0]
    row = list(tables[name][index])
    for column, value in changes.items():
        row[header.index(column)] = value
    tables[name][index] = tuple(row)
    return tables


def problems_of(data):
    result = oneroster.bundle_parse(data)
    assert isinstance(result, list), "expected problems"
    return [(p.file, p.line, p.reason) for p in result]


def state(organisation, in_school):
    with in_school(organisation):
        return {
            "students": sorted(
                Student.objects.values_list(
                    "external_id", "student_number", "given_name", "archived_at"
                )
            ),
            "classes": sorted(
                SchoolClass.objects.values_list("external_id", "name", "archived_at")
            ),
            "enrollments": sorted(
                Enrollment.objects.values_list("school_class__name", "student__student_number")
            ),
            "teaching": sorted(
                TeacherAssignment.objects.values_list(
                    "school_class__name", "teacher__user__username"
                )
            ),
        }


# ----------------------------------------------------------------------------- parsing


def test_a_valid_bundle_parses_into_typed_rows():
    bundle = oneroster.bundle_parse(write_bundle(valid_tables()))
    assert isinstance(bundle, oneroster.Bundle)
    assert [u.sourced_id for u in bundle.users if u.role == "student"] == [
        "stu-1",
        "stu-2",
        "stu-3",
    ]
    assert bundle.users[0] == oneroster.UserRow(
        2, "stu-1", "", True, "student", "rfranklin", "Rosalind", "Franklin", "1001", ""
    )
    assert bundle.classes[1].title == "9B Physics"
    assert len(bundle.enrollments) == 5


def test_bom_crlf_and_any_column_order_are_accepted():
    plain = oneroster.bundle_parse(write_bundle(valid_tables()))
    odd = oneroster.bundle_parse(
        write_bundle(valid_tables(), bom=True, crlf=True, reverse_columns=True)
    )
    assert odd == plain


@pytest.mark.parametrize(
    ("file", "index", "changes", "line", "reason"),
    [
        ("users.csv", 1, {"givenName": ""}, 2, "givenName is required."),
        ("users.csv", 2, {"role": "pupil"}, 3, "role “pupil” is not one of"),
        ("users.csv", 1, {"enabledUser": "yes"}, 2, "enabledUser “yes” is not true or false."),
        ("users.csv", 2, {"sourcedId": "stu-1"}, 3, "sourcedId “stu-1” is also on line 2."),
        ("users.csv", 1, {"status": "deleted"}, 2, "status “deleted” is not active or tobedeleted"),
        ("users.csv", 1, {"dateLastModified": "yesterday"}, 2, "is not an ISO 8601 date-time"),
        ("users.csv", 1, {"givenName": "R" * 81}, 2, "givenName is longer than 80 characters."),
        ("users.csv", 1, {"orgSourcedIds": "org-9"}, 2, "orgSourcedIds “org-9” is not in orgs.csv"),
        ("classes.csv", 1, {"classType": "lecture"}, 2, "classType “lecture” is not one of"),
        ("classes.csv", 2, {"courseSourcedId": "nope"}, 3, "courseSourcedId “nope” is not in"),
        ("classes.csv", 1, {"termSourcedIds": "term-1,term-9"}, 2, "“term-9” is not in"),
        ("academicSessions.csv", 1, {"startDate": "2026-13-01"}, 2, "is not a date such as"),
        ("academicSessions.csv", 1, {"schoolYear": "26"}, 2, "is not a year such as 2026"),
        ("orgs.csv", 1, {"type": "college"}, 2, "type “college” is not one of"),
        ("courses.csv", 1, {"orgSourcedId": "org-2"}, 2, "orgSourcedId “org-2” is not in"),
        ("enrollments.csv", 3, {"userSourcedId": "ghost"}, 4, "userSourcedId “ghost” is not in"),
        ("enrollments.csv", 4, {"role": "student"}, 5, "user “tea-1” is a teacher in users.csv"),
        ("enrollments.csv", 1, {"beginDate": "1/9/2026"}, 2, "is not a date such as"),
        ("enrollments.csv", 1, {"classSourcedId": ""}, 2, "classSourcedId is required."),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_file_line_and_reason(
    file, index, changes, line, reason
):
    problems = problems_of(write_bundle(with_row(valid_tables(), file, index, **changes)))
    assert any(p[0] == file and p[1] == line and reason in p[2] for p in problems), problems


def test_a_missing_required_column_is_reported_on_the_header_line():
    tables = valid_tables()
    tables["users.csv"] = [row[:6] + row[7:] for row in tables["users.csv"]]  # no username
    assert problems_of(write_bundle(tables)) == [
        ("users.csv", 1, "missing required column(s): username.")
    ]


def test_a_missing_file_and_a_delta_manifest_are_reported():
    tables = valid_tables()
    tables["enrollments.csv"] = None
    tables["manifest.csv"] = [
        row if row[0] != "file.users" else ("file.users", "delta") for row in MANIFEST
    ]
    problems = problems_of(write_bundle(tables))
    assert ("enrollments.csv", 0, "is missing from the zip.") in problems
    assert any(p[0] == "manifest.csv" and "file.users is “delta”" in p[2] for p in problems)


def test_a_row_with_the_wrong_number_of_values_and_non_utf8_are_reported():
    tables = valid_tables()
    tables["orgs.csv"].append(("org-2", "", "", "Extra"))
    problems = problems_of(write_bundle(tables))
    assert ("orgs.csv", 3, "has 4 values; the header has 7.") in problems
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, rows in valid_tables().items():
            text = "\n".join(",".join(row) for row in rows)
            archive.writestr(name, text.replace("Curie", "Curi\xe9").encode("latin-1"))
    problems = problems_of(buffer.getvalue())
    assert any(p[0] == "users.csv" and "is not UTF-8" in p[2] for p in problems)


def test_a_zip_over_the_size_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(oneroster, "MAX_ZIP_BYTES", 100)
    with pytest.raises(oneroster.BundleRefused, match="larger than"):
        oneroster.bundle_parse(write_bundle(valid_tables()))


def test_a_zip_bomb_is_refused_from_its_declared_sizes(monkeypatch):
    monkeypatch.setattr(oneroster, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    tables = valid_tables()
    bomb = write_bundle({**tables, "users.csv": [("x" * 1000,)] * 2000})  # ~2 MB of "x"
    assert len(bomb) < 50_000
    with pytest.raises(oneroster.BundleRefused, match="unpacks to more than"):
        oneroster.bundle_unpack(bomb)


def test_a_file_that_is_not_a_zip_is_refused():
    with pytest.raises(oneroster.BundleRefused, match="not a zip"):
        oneroster.bundle_parse(b"sourcedId,status\n")


# ----------------------------------------------------------------------------- importing


def test_the_preview_counts_what_the_import_will_do_and_writes_nothing(
    school_a, school_b, in_school
):
    before = state(school_a.organisation, in_school)
    with in_school(school_a.organisation):
        plan = services.roster_preview(
            organisation=school_a.organisation, data=write_bundle(valid_tables())
        )
    assert plan.counts == {
        "students": {"create": 3, "update": 0, "archive": 0, "unchanged": 0},
        "classes": {"create": 2, "update": 0, "archive": 0, "unchanged": 0},
        "teachers": {"create": 1, "update": 0, "unchanged": 0},
        "enrollments": {"create": 3, "delete": 0, "unchanged": 0},
        "teaching": {"create": 2, "delete": 0, "unchanged": 0},
    }
    assert state(school_a.organisation, in_school) == before


def test_an_import_creates_the_roster_and_a_second_import_changes_nothing(
    school_a, school_b, in_school
):
    data = write_bundle(valid_tables())
    b_before = state(school_b.organisation, in_school)
    with in_school(school_a.organisation):
        services.roster_import(organisation=school_a.organisation, data=data)
    after = state(school_a.organisation, in_school)
    assert ("class-1", "9A Physics", None) in after["classes"]
    assert ("stu-1", "1001", "Rosalind", None) in after["students"]
    assert ("9A Physics", "1001") in after["enrollments"]
    assert {("9A Physics", "lmeitner"), ("9B Physics", "lmeitner")} < set(after["teaching"])
    with in_school(school_a.organisation):
        teacher = Membership.objects.get(user__username="lmeitner")
        assert teacher.role == Role.TEACHER
        assert not teacher.user.has_usable_password()
        again = services.roster_import(organisation=school_a.organisation, data=data)
    assert again.writes == 0
    assert all(kind.get("create", 0) == 0 for kind in again.counts.values())
    assert state(school_a.organisation, in_school) == after
    assert state(school_b.organisation, in_school) == b_before


def test_students_and_classes_gone_from_the_bundle_or_tobedeleted_are_archived(
    school_a, school_b, in_school
):
    with in_school(school_a.organisation):
        services.roster_import(
            organisation=school_a.organisation, data=write_bundle(valid_tables())
        )
    tables = with_row(valid_tables(), "users.csv", 2, status="tobedeleted")  # Alan
    tables["classes.csv"].pop(2)  # 9B Physics
    tables["enrollments.csv"] = [r for r in tables["enrollments.csv"] if r[3] != "class-2"]
    tables["users.csv"].pop(3)  # Marie, only in 9B
    with in_school(school_a.organisation):
        plan = services.roster_import(organisation=school_a.organisation, data=write_bundle(tables))
        assert plan.counts["students"]["archive"] == 2
        assert plan.counts["classes"]["archive"] == 1
        archived = set(
            Student.objects.filter(archived_at__isnull=False).values_list("external_id", flat=True)
        )
        assert archived == {"stu-2", "stu-3"}
        assert SchoolClass.objects.get(external_id="class-2").archived_at is not None
        assert not Enrollment.objects.filter(student__external_id="stu-2").exists()
        # The student made by hand before the SIS is left alone.
        assert Student.objects.get(pk=school_a.student.pk).archived_at is None


def test_a_student_made_by_hand_is_adopted_by_student_number(school_a, in_school):
    hand_made = EnrollmentFactory(
        school_class=school_a.school_class, student__student_number="1001"
    ).student
    with in_school(school_a.organisation):
        plan = services.roster_import(
            organisation=school_a.organisation, data=write_bundle(valid_tables())
        )
        hand_made.refresh_from_db()
    assert plan.counts["students"] == {"create": 2, "update": 1, "archive": 0, "unchanged": 0}
    assert (hand_made.external_id, hand_made.given_name) == ("stu-1", "Rosalind")


def test_a_bad_row_leaves_nothing_half_imported(school_a, school_b, in_school):
    """The plan refuses a clash found only against the database: nothing is written."""
    StudentFactory(organisation=school_a.organisation, student_number="1003", external_id="x-9")
    before = state(school_a.organisation, in_school)
    with in_school(school_a.organisation), pytest.raises(services.RosterInvalid) as refused:
        services.roster_import(
            organisation=school_a.organisation, data=write_bundle(valid_tables())
        )
    assert [(p.file, p.line) for p in refused.value.problems] == [("users.csv", 4)]
    assert "belongs to" in refused.value.problems[0].reason
    assert state(school_a.organisation, in_school) == before


def test_a_failure_midway_rolls_the_whole_import_back(school_a, in_school, monkeypatch):
    def explode(done, total):
        if done > 3:
            raise RuntimeError("disk full")

    before = state(school_a.organisation, in_school)
    with in_school(school_a.organisation), pytest.raises(RuntimeError):
        services.roster_import(
            organisation=school_a.organisation, data=write_bundle(valid_tables()), progress=explode
        )
    assert state(school_a.organisation, in_school) == before


def test_a_teacher_username_taken_in_another_school_is_a_problem(school_a, school_b, in_school):
    MembershipFactory(organisation=school_b.organisation, user__username="lmeitner")
    with in_school(school_a.organisation), pytest.raises(services.RosterInvalid) as refused:
        services.roster_preview(
            organisation=school_a.organisation, data=write_bundle(valid_tables())
        )
    problem = refused.value.problems[0]
    assert (problem.file, problem.line) == ("users.csv", 5)
    assert "taken by a login outside this school" in problem.reason


# ----------------------------------------------------------------------------- pages and jobs


def upload(client, data, name="roster.zip"):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/imports/", {"bundle": file})


def test_admin_uploads_previews_and_confirms_an_import(
    school_a, school_b, client_for, in_school, celery_worker
):
    client = client_for(school_a.admin)
    response = upload(client, write_bundle(valid_tables()))
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert "What the import will do" in preview.text
    assert "Confirm import" in preview.text
    with in_school(school_a.organisation):
        job = ImportJob.objects.get()
        assert Student.objects.count() == 1  # nothing yet
    response = client.post(f"/imports/{job.public_id}/confirm/")
    assert response.status_code == 302
    status = {}
    for _ in range(100):  # eager: done at once; a real worker: within a few seconds
        status = client.get(f"/imports/{job.public_id}/status.json").json()
        if status["finished"]:
            break
        import time

        time.sleep(0.1)
    assert status["status"] == "done", status
    assert status["result"]["students"]["create"] == 3
    assert status["done"] == status["total"] > 0
    with in_school(school_a.organisation):
        job.refresh_from_db()
        assert job.bundle in (b"", memoryview(b""))
        assert Student.objects.filter(external_id__startswith="stu-").count() == 3
    assert client.post(f"/imports/{job.public_id}/confirm/").status_code == 409


def test_an_upload_with_problems_shows_them_and_cannot_be_confirmed(
    school_a, client_for, in_school
):
    client = client_for(school_a.admin)
    bad = with_row(valid_tables(), "users.csv", 1, givenName="")
    response = upload(client, write_bundle(bad))
    page = client.get(response["Location"])
    assert "users.csv" in page.text
    assert "givenName is required." in page.text
    assert "Confirm import" not in page.text
    with in_school(school_a.organisation):
        job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEWED
    assert job.problems == [{"file": "users.csv", "line": 2, "reason": "givenName is required."}]
    assert client.post(f"/imports/{job.public_id}/confirm/").status_code == 409


def test_an_upload_over_the_limit_or_not_a_zip_is_a_400_with_a_message(
    school_a, client_for, monkeypatch
):
    client = client_for(school_a.admin)
    response = upload(client, b"not a zip at all", name="roster.csv")
    assert response.status_code == 400
    assert "This is not a zip file" in response.text
    monkeypatch.setattr(oneroster, "MAX_ZIP_BYTES", 10)
    response = upload(client, write_bundle(valid_tables()))
    assert response.status_code == 400
    assert "larger than" in response.text


def test_a_teacher_cannot_import(school_a, client_for):
    response = upload(client_for(school_a.teacher), write_bundle(valid_tables()))
    assert response.status_code == 403


# ----------------------------------------------------------------------------- the command


def test_the_command_previews_with_dry_run_then_imports(school_a, tmp_path, in_school):
    path = tmp_path / "roster.zip"
    path.write_bytes(write_bundle(valid_tables()))
    out = io.StringIO()
    call_command("import_oneroster", str(path), "--organisation", "alder", "--dry-run", stdout=out)
    assert "students: create 3" in out.getvalue()
    assert "Would write" in out.getvalue()
    with in_school(school_a.organisation):
        assert Student.objects.count() == 1
    out = io.StringIO()
    call_command("import_oneroster", str(path), "--organisation", "alder", stdout=out)
    assert "Did write" in out.getvalue()
    with in_school(school_a.organisation):
        assert Student.objects.count() == 4


def test_the_command_prints_the_problems_and_imports_nothing(school_a, tmp_path):
    path = tmp_path / "roster.zip"
    path.write_bytes(write_bundle(with_row(valid_tables(), "users.csv", 1, role="pupil")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_oneroster", str(path), "--organisation", "alder", stderr=err)
    assert "users.csv, line 2: role “pupil”" in err.getvalue()
    with pytest.raises(CommandError, match="No school has the slug"):
        call_command("import_oneroster", str(path), "--organisation", "nowhere")

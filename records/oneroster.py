"""Reading a OneRoster 1.2 CSV bundle: pure functions over the zip's bytes, no database.

`bundle_parse(data)` returns a `Bundle` of typed rows, or the list of every `Problem` found
(file, line, reason), so an admin can fix the export in one go. Strict about what the spec
requires (files, columns, values, formats, references between files); tolerant of what it
leaves open (column order, extra columns, a UTF-8 byte order mark, CRLF line ends).

Size limits are checked before anything is decompressed: the zip's size, then each member's
declared size and their sum, then the bytes actually read (a member that lies about its size is
cut off at the limit, and zip's CRC check refuses it).
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

MAX_ZIP_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_PROBLEMS = 200  # after this many, the rest is summarised in one line

TOO_BIG = f"The file is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB; split the roster."
TOO_BIG_UNPACKED = (
    f"The bundle unpacks to more than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB; "
    "split the roster."
)
NOT_A_ZIP = "This is not a zip file: export the roster as a OneRoster 1.2 CSV bundle (.zip)."

STATUSES = {"", "active", "tobedeleted"}
CLASS_TYPES = {"homeroom", "scheduled"}
ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
SESSION_TYPES = {"gradingPeriod", "semester", "schoolYear", "term"}
USER_ROLES = {
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
}
ENROLLMENT_ROLES = {"administrator", "proctor", "student", "teacher"}

# The columns the 1.2 CSV binding requires in each file's header, and those that must hold a
# value on every row. Other columns of the spec (and `metadata.*` extensions) may be there too.
BASE = ("sourcedId", "status", "dateLastModified")
HEADERS: dict[str, tuple[str, ...]] = {
    "orgs.csv": (*BASE, "name", "type", "identifier", "parentSourcedId"),
    "academicSessions.csv": (
        *BASE,
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ),
    "courses.csv": (*BASE, "schoolYearSourcedId", "title", "courseCode", "orgSourcedId"),
    "classes.csv": (
        *BASE,
        "title",
        "courseSourcedId",
        "classCode",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
    ),
    "users.csv": (
        *BASE,
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "givenName",
        "familyName",
        "identifier",
        "email",
    ),
    "enrollments.csv": (
        *BASE,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
}
REQUIRED_VALUES: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId", "name", "type"),
    "academicSessions.csv": ("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    "courses.csv": ("sourcedId", "title", "orgSourcedId"),
    "classes.csv": (
        "sourcedId",
        "title",
        "courseSourcedId",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
    ),
    "users.csv": (
        "sourcedId",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "givenName",
        "familyName",
    ),
    "enrollments.csv": ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
}
MANIFEST = "manifest.csv"
DATA_FILES = tuple(HEADERS)
# What our columns hold (Student, SchoolClass, User): longer values are refused, not cut.
MAX_LENGTHS = {
    "sourcedId": 128,
    "title": 80,
    "classCode": 40,
    "givenName": 80,
    "familyName": 80,
    "username": 150,
    "identifier": 40,
    "email": 254,
}
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1 is the header; 0 when the problem is the file itself
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}, line {self.line}: {self.reason}"
            if self.line
            else (f"{self.file}: {self.reason}")
        )

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


class BundleRefused(Exception):
    """The zip itself is refused (too big, not a zip): nothing was read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OrgRow:
    line: int
    sourced_id: str
    status: str
    name: str
    type: str


@dataclass(frozen=True)
class ClassRow:
    line: int
    sourced_id: str
    status: str
    title: str
    class_code: str
    course_sourced_id: str
    school_sourced_id: str


@dataclass(frozen=True)
class UserRow:
    line: int
    sourced_id: str
    status: str
    enabled: bool
    role: str
    username: str
    given_name: str
    family_name: str
    identifier: str
    email: str


@dataclass(frozen=True)
class EnrollmentRow:
    line: int
    sourced_id: str
    status: str
    class_sourced_id: str
    user_sourced_id: str
    role: str


@dataclass(frozen=True)
class Bundle:
    orgs: tuple[OrgRow, ...]
    classes: tuple[ClassRow, ...]
    users: tuple[UserRow, ...]
    enrollments: tuple[EnrollmentRow, ...]

    @property
    def size(self) -> int:
        return len(self.orgs) + len(self.classes) + len(self.users) + len(self.enrollments)


# ----------------------------------------------------------------------------- the zip


def bundle_unpack(data: bytes) -> dict[str, bytes]:
    """The bundle's files by name, after every size check; BundleRefused if the zip is refused."""
    if len(data) > MAX_ZIP_BYTES:
        raise BundleRefused(TOO_BIG)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as error:
        raise BundleRefused(NOT_A_ZIP) from error
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
        raise BundleRefused(TOO_BIG_UNPACKED)
    files: dict[str, bytes] = {}
    budget = MAX_UNCOMPRESSED_BYTES
    for member in members:
        name = member.filename.rsplit("/", 1)[-1]
        if name not in (MANIFEST, *DATA_FILES):
            continue  # the spec allows other files (demographics.csv, ...): not ours to read
        try:
            with archive.open(member) as stream:
                content = stream.read(budget + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            raise BundleRefused(f"{name} could not be read from the zip ({error}).") from error
        budget -= len(content)
        if budget < 0:
            raise BundleRefused(TOO_BIG_UNPACKED)
        files[name] = content
    return files


# ----------------------------------------------------------------------------- the CSV files


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, reason: str) -> None:
        self.problems.append(Problem(file, line, reason))


def _rows(
    name: str, content: bytes, required_header: Iterable[str], out: _Collector
) -> list[tuple[int, dict[str, str]]]:
    """(line, row) pairs of a CSV file; BOM and CRLF accepted, columns found by name."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        out.add(name, 0, f"is not UTF-8 (byte {error.start}); export the bundle as UTF-8.")
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        out.add(name, 1, "the file is empty; it needs a header row.")
        return []
    except csv.Error as error:
        out.add(name, 1, f"is not valid CSV ({error}).")
        return []
    missing = [column for column in required_header if column not in header]
    if missing:
        out.add(name, 1, f"missing required column(s): {', '.join(missing)}.")
        return []
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        out.add(name, 1, f"column(s) named twice: {', '.join(duplicated)}.")
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue  # a blank line, often the last one
            if len(values) != len(header):
                out.add(name, line, f"has {len(values)} values; the header has {len(header)}.")
                continue
            rows.append((line, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    except csv.Error as error:
        out.add(name, line + 1, f"is not valid CSV ({error}).")
    return rows


def _check_common(
    name: str, line: int, row: dict[str, str], seen: dict[str, int], out: _Collector
) -> bool:
    """Values every file shares; False when the row must be skipped."""
    ok = True
    for column in REQUIRED_VALUES[name]:
        if not row.get(column):
            out.add(name, line, f"{column} is required.")
            ok = False
    for column, limit in MAX_LENGTHS.items():
        if len(row.get(column, "")) > limit:
            out.add(name, line, f"{column} is longer than {limit} characters.")
            ok = False
    if row["status"] not in STATUSES:
        out.add(name, line, f"status “{row['status']}” is not active or tobedeleted.")
        ok = False
    if row["dateLastModified"] and not DATETIME.match(row["dateLastModified"]):
        out.add(
            name,
            line,
            f"dateLastModified “{row['dateLastModified']}” is not an ISO 8601 date-time "
            "such as 2026-03-02T08:30:00Z.",
        )
        ok = False
    sourced_id = row.get("sourcedId", "")
    if sourced_id:
        if sourced_id in seen:
            out.add(name, line, f"sourcedId “{sourced_id}” is also on line {seen[sourced_id]}.")
            ok = False
        else:
            seen[sourced_id] = line
    return ok


def _check_choice(
    name: str, line: int, row: dict[str, str], column: str, allowed: set[str], out: _Collector
) -> bool:
    if row[column] and row[column] not in allowed:
        choices = ", ".join(sorted(allowed))
        out.add(name, line, f"{column} “{row[column]}” is not one of: {choices}.")
        return False
    return True


def _check_date(name: str, line: int, row: dict[str, str], column: str, out: _Collector) -> bool:
    value = row.get(column, "")
    if not value:
        return True
    try:
        if not DATE.match(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        out.add(name, line, f"{column} “{value}” is not a date such as 2026-09-01.")
        return False
    return True


def _manifest(files: dict[str, bytes], out: _Collector) -> None:
    if MANIFEST not in files:
        out.add(MANIFEST, 0, "is missing from the zip.")
        return
    properties: dict[str, str] = {}
    for _line, row in _rows(MANIFEST, files[MANIFEST], ("propertyName", "value"), out):
        properties[row["propertyName"]] = row["value"]
    if not properties and any(p.file == MANIFEST for p in out.problems):
        return
    if properties.get("oneroster.version") != "1.2":
        out.add(MANIFEST, 0, "oneroster.version must be 1.2.")
    if properties.get("manifest.version") != "1.0":
        out.add(MANIFEST, 0, "manifest.version must be 1.0.")
    for name in DATA_FILES:
        mode = properties.get(f"file.{name.removesuffix('.csv')}", "")
        if mode != "bulk":
            out.add(
                MANIFEST,
                0,
                f"file.{name.removesuffix('.csv')} is “{mode or 'absent'}”; this import needs "
                "a bulk file (a full roster, not a delta).",
            )


Check = Callable[[int, dict[str, str]], bool]


class _Files:
    """Each file's good rows, every sourcedId it holds (good rows or not, so one bad row is
    reported once, not again by every row that points at it), and the files unusable as a whole."""

    def __init__(self, files: dict[str, bytes], out: _Collector) -> None:
        self.files, self.out = files, out
        self.ids: dict[str, set[str]] = {}
        self.broken: set[str] = set()

    def read(self, name: str, check: Check) -> list[tuple[int, dict[str, str]]]:
        if name not in self.files:
            self.out.add(name, 0, "is missing from the zip.")
            self.broken.add(name)
            return []
        seen: dict[str, int] = {}
        good = []
        before = len(self.out.problems)
        rows = _rows(name, self.files[name], HEADERS[name], self.out)
        if not rows and len(self.out.problems) > before:
            self.broken.add(name)
        for line, row in rows:
            common = _check_common(name, line, row, seen, self.out)
            if check(line, row) and common:
                good.append((line, row))
        self.ids[name] = set(seen)
        return good


def bundle_parse(data: bytes) -> Bundle | list[Problem]:
    """The bundle's rows, or every problem found in it. Raises BundleRefused for the zip itself."""
    files = bundle_unpack(data)
    out = _Collector()
    _manifest(files, out)

    def org_check(line: int, row: dict[str, str]) -> bool:
        return _check_choice("orgs.csv", line, row, "type", ORG_TYPES, out)

    def session_check(line: int, row: dict[str, str]) -> bool:
        name = "academicSessions.csv"
        ok = _check_choice(name, line, row, "type", SESSION_TYPES, out)
        ok = _check_date(name, line, row, "startDate", out) and ok
        ok = _check_date(name, line, row, "endDate", out) and ok
        if row["schoolYear"] and not YEAR.match(row["schoolYear"]):
            out.add(name, line, f"schoolYear “{row['schoolYear']}” is not a year such as 2026.")
            ok = False
        if ok and row["startDate"] and row["endDate"] and row["startDate"] > row["endDate"]:
            out.add(name, line, "startDate is after endDate.")
            ok = False
        return ok

    def class_check(line: int, row: dict[str, str]) -> bool:
        return _check_choice("classes.csv", line, row, "classType", CLASS_TYPES, out)

    def user_check(line: int, row: dict[str, str]) -> bool:
        ok = _check_choice("users.csv", line, row, "role", USER_ROLES, out)
        if row["enabledUser"] and row["enabledUser"] not in ("true", "false"):
            out.add("users.csv", line, f"enabledUser “{row['enabledUser']}” is not true or false.")
            ok = False
        return ok

    def enrollment_check(line: int, row: dict[str, str]) -> bool:
        name = "enrollments.csv"
        ok = _check_choice(name, line, row, "role", ENROLLMENT_ROLES, out)
        if row["primary"] and row["primary"] not in ("true", "false"):
            out.add(name, line, f"primary “{row['primary']}” is not true or false.")
            ok = False
        ok = _check_date(name, line, row, "beginDate", out) and ok
        return _check_date(name, line, row, "endDate", out) and ok

    read = _Files(files, out)
    orgs = read.read("orgs.csv", org_check)
    read.read("academicSessions.csv", session_check)
    courses = read.read("courses.csv", lambda line, row: True)
    classes = read.read("classes.csv", class_check)
    users = read.read("users.csv", user_check)
    enrollments = read.read("enrollments.csv", enrollment_check)

    # References between files: every id a row points at is in the file it names.
    org_ids = read.ids.get("orgs.csv", set())
    session_ids = read.ids.get("academicSessions.csv", set())
    course_ids = read.ids.get("courses.csv", set())
    class_ids = read.ids.get("classes.csv", set())
    user_roles = {row["sourcedId"]: row["role"] for _, row in users}
    user_ids = read.ids.get("users.csv", set())

    def refer(name: str, line: int, column: str, value: str, known: set[str], file: str) -> None:
        if value and value not in known and file not in read.broken:
            out.add(name, line, f"{column} “{value}” is not in {file}.")

    for line, row in courses:
        refer("courses.csv", line, "orgSourcedId", row["orgSourcedId"], org_ids, "orgs.csv")
        refer(
            "courses.csv",
            line,
            "schoolYearSourcedId",
            row["schoolYearSourcedId"],
            session_ids,
            "academicSessions.csv",
        )
    for line, row in classes:
        refer(
            "classes.csv",
            line,
            "courseSourcedId",
            row["courseSourcedId"],
            course_ids,
            "courses.csv",
        )
        refer("classes.csv", line, "schoolSourcedId", row["schoolSourcedId"], org_ids, "orgs.csv")
        for term in row["termSourcedIds"].split(","):
            refer(
                "classes.csv",
                line,
                "termSourcedIds",
                term.strip(),
                session_ids,
                "academicSessions.csv",
            )
    for line, row in users:
        for org in row["orgSourcedIds"].split(","):
            refer("users.csv", line, "orgSourcedIds", org.strip(), org_ids, "orgs.csv")
    for line, row in enrollments:
        name = "enrollments.csv"
        refer(name, line, "classSourcedId", row["classSourcedId"], class_ids, "classes.csv")
        refer(name, line, "schoolSourcedId", row["schoolSourcedId"], org_ids, "orgs.csv")
        refer(name, line, "userSourcedId", row["userSourcedId"], user_ids, "users.csv")
        user_role = user_roles.get(row["userSourcedId"])
        if row["role"] in ("student", "teacher") and user_role and user_role != row["role"]:
            out.add(
                name,
                line,
                f"role “{row['role']}” but user “{row['userSourcedId']}” is a {user_role} "
                "in users.csv.",
            )

    if out.problems:
        return out.problems
    return Bundle(
        orgs=tuple(
            OrgRow(line, row["sourcedId"], row["status"], row["name"], row["type"])
            for line, row in orgs
        ),
        classes=tuple(
            ClassRow(
                line,
                row["sourcedId"],
                row["status"],
                row["title"],
                row["classCode"],
                row["courseSourcedId"],
                row["schoolSourcedId"],
            )
            for line, row in classes
        ),
        users=tuple(
            UserRow(
                line,
                row["sourcedId"],
                row["status"],
                row["enabledUser"] == "true",
                row["role"],
                row["username"],
                row["givenName"],
                row["familyName"],
                row["identifier"],
                row["email"],
            )
            for line, row in users
        ),
        enrollments=tuple(
            EnrollmentRow(
                line,
                row["sourcedId"],
                row["status"],
                row["classSourcedId"],
                row["userSourcedId"],
                row["role"],
            )
            for line, row in enrollments
        ),
    )


def problems_summary(problems: list[Problem], limit: int = MAX_PROBLEMS) -> list[Problem]:
    """The first problems, and one line saying how many more there are."""
    if len(problems) <= limit:
        return problems
    more = len(problems) - limit
    return [*problems[:limit], Problem("bundle", 0, f"… and {more} more problem(s).")]

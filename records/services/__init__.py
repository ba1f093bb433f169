"""Every write of the records app. Entry points call these, never `.save()`.

`from records import services` then `services.student_create(...)` keeps working: the package
re-exports each module's public names.
"""

from records.services.attendance import (
    attendance_mark,
    attendance_mark_by_hand,
    attendance_set_status,
    session_close,
    session_correctable,
    session_open,
)
from records.services.imports import (
    RosterInvalid,
    RosterPlan,
    import_job_confirm,
    import_job_create,
    import_job_progress,
    import_job_run,
    roster_import,
    roster_plan,
    roster_preview,
)
from records.services.roster import (
    ARCHIVED_CLASS,
    ARCHIVED_STUDENT,
    CLASS_FIELDS,
    CROSS_SCHOOL,
    NOT_A_TEACHER,
    STUDENT_FIELDS,
    enrollment_create,
    enrollment_delete,
    school_class_archive,
    school_class_create,
    school_class_restore,
    school_class_update,
    student_archive,
    student_create,
    student_restore,
    student_update,
    teacher_assign,
    teacher_unassign,
)
from records.services.teachers import teacher_archive, teacher_upsert_by_external_id

__all__ = [
    "ARCHIVED_CLASS",
    "ARCHIVED_STUDENT",
    "CLASS_FIELDS",
    "CROSS_SCHOOL",
    "NOT_A_TEACHER",
    "STUDENT_FIELDS",
    "RosterInvalid",
    "RosterPlan",
    "attendance_mark",
    "attendance_mark_by_hand",
    "attendance_set_status",
    "enrollment_create",
    "enrollment_delete",
    "import_job_confirm",
    "import_job_create",
    "import_job_progress",
    "import_job_run",
    "roster_import",
    "roster_plan",
    "roster_preview",
    "school_class_archive",
    "school_class_create",
    "school_class_restore",
    "school_class_update",
    "session_close",
    "session_correctable",
    "session_open",
    "student_archive",
    "student_create",
    "student_restore",
    "student_update",
    "teacher_archive",
    "teacher_assign",
    "teacher_unassign",
    "teacher_upsert_by_external_id",
]

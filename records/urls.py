from django.urls import path

from records.views import classes, dashboard, imports, reports, sessions, students, webhooks

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("today.json", dashboard.dashboard_state, name="dashboard_state"),
    path("classes/", classes.class_list, name="class_list"),
    path("classes/new/", classes.class_create, name="class_create"),
    path("classes/<uuid:public_id>/", classes.class_detail, name="class_detail"),
    path("classes/<uuid:public_id>/edit/", classes.class_edit, name="class_edit"),
    path("classes/<uuid:public_id>/archive/", classes.class_archive, name="class_archive"),
    path("classes/<uuid:public_id>/enrol/", classes.class_enrol, name="class_enrol"),
    path(
        "classes/<uuid:public_id>/students/<uuid:student_id>/remove/",
        classes.class_unenrol,
        name="class_unenrol",
    ),
    path(
        "classes/<uuid:public_id>/teachers/",
        classes.class_assign_teacher,
        name="class_assign_teacher",
    ),
    path(
        "classes/<uuid:public_id>/teachers/<uuid:teacher_id>/remove/",
        classes.class_unassign_teacher,
        name="class_unassign_teacher",
    ),
    path(
        "classes/<uuid:public_id>/sessions/start/",
        sessions.session_start,
        name="session_start",
    ),
    path(
        "classes/<uuid:public_id>/export/daily.csv",
        sessions.class_daily_csv,
        name="class_daily_csv",
    ),
    path("sessions/<uuid:public_id>/", sessions.session_detail, name="session_detail"),
    path("sessions/<uuid:public_id>/close/", sessions.session_close, name="session_close"),
    path("sessions/<uuid:public_id>/state.json", sessions.session_state, name="session_state"),
    path(
        "sessions/<uuid:public_id>/students/<uuid:student_id>/mark/",
        sessions.session_mark,
        name="session_mark",
    ),
    path("students/", students.student_list, name="student_list"),
    path("students/new/", students.student_create, name="student_create"),
    path("students/<uuid:public_id>/", students.student_detail, name="student_detail"),
    path("students/<uuid:public_id>/edit/", students.student_edit, name="student_edit"),
    path("students/<uuid:public_id>/archive/", students.student_archive, name="student_archive"),
    path(
        "students/<uuid:public_id>/sessions/<uuid:session_id>/mark/",
        students.student_mark,
        name="student_mark",
    ),
    path("reports/", reports.report_index, name="report_index"),
    path("reports/school/", reports.report_school_summary, name="report_school_summary"),
    path(
        "reports/school/summary.csv",
        reports.report_school_summary_csv,
        name="report_school_summary_csv",
    ),
    path("reports/school/records.csv", reports.report_records_csv, name="report_records_csv"),
    path(
        "reports/classes/<uuid:public_id>/",
        reports.report_class_register,
        name="report_class_register",
    ),
    path(
        "reports/classes/<uuid:public_id>/register.csv",
        reports.report_class_register_csv,
        name="report_class_register_csv",
    ),
    path(
        "reports/students/<uuid:public_id>/",
        reports.report_student_history,
        name="report_student_history",
    ),
    path(
        "reports/students/<uuid:public_id>/history.csv",
        reports.report_student_history_csv,
        name="report_student_history_csv",
    ),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<uuid:public_id>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<uuid:public_id>/status.json", imports.import_status, name="import_status"),
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<uuid:public_id>/disable/", webhooks.webhook_disable, name="webhook_disable"),
    path(
        "webhooks/<uuid:public_id>/deliveries/",
        webhooks.webhook_deliveries,
        name="webhook_deliveries",
    ),
]

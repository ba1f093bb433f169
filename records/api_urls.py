"""Routes of /api/v1/. Every one has rows in tests/api/test_api_permissions.py."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from records.api import attendance, exports, roster, teachers

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("organisation/", attendance.OrganisationDetail.as_view(), name="organisation"),
    # roster
    path("students/", roster.StudentList.as_view(), name="student-list"),
    path(
        "students/by-external-id/<str:external_id>/",
        roster.StudentUpsert.as_view(),
        name="student-upsert",
    ),
    path("students/<uuid:public_id>/", roster.StudentDetail.as_view(), name="student-detail"),
    path(
        "students/<uuid:public_id>/archive/",
        roster.StudentArchive.as_view(),
        name="student-archive",
    ),
    path("classes/", roster.SchoolClassList.as_view(), name="class-list"),
    path(
        "classes/by-external-id/<str:external_id>/",
        roster.SchoolClassUpsert.as_view(),
        name="class-upsert",
    ),
    path("classes/<uuid:public_id>/", roster.SchoolClassDetail.as_view(), name="class-detail"),
    path(
        "classes/<uuid:public_id>/archive/",
        roster.SchoolClassArchive.as_view(),
        name="class-archive",
    ),
    path("enrollments/", roster.EnrollmentList.as_view(), name="enrollment-list"),
    path(
        "enrollments/<uuid:public_id>/",
        roster.EnrollmentDetail.as_view(),
        name="enrollment-detail",
    ),
    path("teachers/", teachers.TeacherList.as_view(), name="teacher-list"),
    path(
        "teachers/by-external-id/<str:external_id>/",
        teachers.TeacherUpsert.as_view(),
        name="teacher-upsert",
    ),
    path("teachers/<uuid:public_id>/", teachers.TeacherDetail.as_view(), name="teacher-detail"),
    path(
        "teachers/<uuid:public_id>/archive/",
        teachers.TeacherArchive.as_view(),
        name="teacher-archive",
    ),
    # attendance
    path("sessions/", attendance.SessionList.as_view(), name="session-list"),
    path("sessions/<uuid:public_id>/", attendance.SessionDetail.as_view(), name="session-detail"),
    path(
        "sessions/<uuid:public_id>/close/",
        attendance.SessionClose.as_view(),
        name="session-close",
    ),
    path("attendance/", attendance.AttendanceList.as_view(), name="attendance-list"),
    path(
        "attendance/<uuid:public_id>/",
        attendance.AttendanceDetail.as_view(),
        name="attendance-detail",
    ),
    path(
        "attendance/<uuid:public_id>/status/",
        attendance.AttendanceStatusChange.as_view(),
        name="attendance-status",
    ),
    # exports
    path("attendance-events/", exports.AttendanceEventList.as_view(), name="attendance-event-list"),
    path(
        "attendance-events.csv", exports.AttendanceEventCsv.as_view(), name="attendance-event-csv"
    ),
]

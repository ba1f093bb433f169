"""Reports and their CSV exports: a class register, a student's history, the school summary.

Admins see the whole school; a teacher sees the classes they teach (another class is the same
404 as another school's). Every report takes `?start=YYYY-MM-DD&end=YYYY-MM-DD`.
"""

from datetime import date, timedelta
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.decorators import member_required
from accounts.errors import DomainError
from accounts.models import Membership
from records import reports, selectors
from records.csv_download import csv_download
from records.forms import ReportRangeForm
from records.models import SchoolClass

BAD_RANGE_DATE = "Give the dates as YYYY-MM-DD, for example 2026-03-02."
DEFAULT_DAYS = 30


def _visible_classes(membership: Membership) -> QuerySet[SchoolClass] | None:
    """None for an admin (every class); the classes a teacher teaches, archived ones included."""
    if membership.is_admin:
        return None
    return membership.organisation.school_classes.filter(teacher_assignments__teacher=membership)


def _range(request: HttpRequest) -> tuple[date, date]:
    """The range asked for, or the last 30 school days; the report checks order and length."""
    form = ReportRangeForm(request.GET)
    if not form.is_valid():
        raise DomainError(BAD_RANGE_DATE, field=next(iter(form.errors)))
    today = selectors.school_today(organisation=request.membership.organisation)
    end = form.cleaned_data["end"] or today
    start = form.cleaned_data["start"] or end - timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def _range_context(start: date, end: date) -> dict[str, object]:
    return {
        "range_form": ReportRangeForm(initial={"start": start, "end": end}),
        "query": {"start": start.isoformat(), "end": end.isoformat()},
    }


# ----------------------------------------------------------------------------- pages


@require_GET
@member_required
def report_index(request: HttpRequest) -> HttpResponse:
    classes = selectors.school_classes_for(membership=request.membership)
    return render(request, "records/report_index.html", {"classes": classes})


@require_GET
@member_required
def report_school_summary(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    start, end = _range(request)
    summary = reports.school_summary(
        organisation=membership.organisation,
        start=start,
        end=end,
        school_classes=_visible_classes(membership),
    )
    charts = {
        "chart-rate-by-day": reports.rate_chart(
            title="Attendance rate by day (%)",
            points=reports.rate_points(summary.by_day),
            kind="line",
        ),
        "chart-rate-by-class": reports.rate_chart(
            title="Attendance rate by class (%)",
            points=reports.rate_points([(c.name, t) for c, t in summary.by_class]),
            kind="bar",
        ),
    }
    return render(
        request,
        "records/report_school.html",
        {"summary": summary, "charts": charts, **_range_context(start, end)},
    )


@require_GET
@member_required
def report_class_register(request: HttpRequest, public_id: UUID) -> HttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    start, end = _range(request)
    register = reports.class_register(
        organisation=membership.organisation, school_class=school_class, start=start, end=end
    )
    zone = register.period.zone
    charts = {
        "chart-rate-by-session": reports.rate_chart(
            title="Attendance rate by session (%)",
            points=[
                (session.opened_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), rate)
                for session, rate in zip(register.sessions, register.session_rates, strict=True)
            ],
            kind="line",
        )
    }
    return render(
        request,
        "records/report_class.html",
        {
            "school_class": school_class,
            "register": register,
            "charts": charts,
            **_range_context(start, end),
        },
    )


@require_GET
@member_required
def report_student_history(request: HttpRequest, public_id: UUID) -> HttpResponse:
    membership = request.membership
    student = selectors.student_get(membership=membership, public_id=public_id)
    start, end = _range(request)
    history = reports.student_history(
        organisation=membership.organisation,
        student=student,
        start=start,
        end=end,
        school_classes=_visible_classes(membership),
    )
    charts = {
        "chart-rate-by-day": reports.rate_chart(
            title="Attendance rate by day (%)",
            points=reports.rate_points(history.by_day),
            kind="line",
        ),
        "chart-rate-by-class": reports.rate_chart(
            title="Attendance rate by class (%)",
            points=reports.rate_points(history.by_class),
            kind="bar",
        ),
    }
    return render(
        request,
        "records/report_student.html",
        {"student": student, "history": history, "charts": charts, **_range_context(start, end)},
    )


# ----------------------------------------------------------------------------- CSV exports


@require_GET
@member_required
def report_school_summary_csv(request: HttpRequest) -> StreamingHttpResponse:
    membership = request.membership
    start, end = _range(request)
    rows = reports.school_summary_csv_rows(
        organisation=membership.organisation,
        start=start,
        end=end,
        school_classes=_visible_classes(membership),
    )
    return csv_download(rows, f"attendance-summary-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv")


@require_GET
@member_required
def report_records_csv(request: HttpRequest) -> StreamingHttpResponse:
    membership = request.membership
    start, end = _range(request)
    rows = reports.records_csv_rows(
        organisation=membership.organisation,
        start=start,
        end=end,
        school_classes=_visible_classes(membership),
    )
    return csv_download(rows, f"attendance-records-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv")


@require_GET
@member_required
def report_class_register_csv(request: HttpRequest, public_id: UUID) -> StreamingHttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    start, end = _range(request)
    rows = reports.class_register_csv_rows(
        organisation=membership.organisation, school_class=school_class, start=start, end=end
    )
    name = slugify(school_class.name) or "class"
    return csv_download(rows, f"register-{name}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv")


@require_GET
@member_required
def report_student_history_csv(request: HttpRequest, public_id: UUID) -> StreamingHttpResponse:
    membership = request.membership
    student = selectors.student_get(membership=membership, public_id=public_id)
    start, end = _range(request)
    rows = reports.student_history_csv_rows(
        organisation=membership.organisation,
        student=student,
        start=start,
        end=end,
        school_classes=_visible_classes(membership),
    )
    name = slugify(student.student_number) or "student"
    return csv_download(rows, f"history-{name}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv")

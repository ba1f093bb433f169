"""The register: start a session, mark by hand, close it, and the seed-compatible daily CSV."""

from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.errors import DomainError
from records import live, selectors, services
from records.csv_download import csv_download
from records.forms import DailyExportForm
from records.models import AttendanceStatus
from records.views.helpers import mark_by_hand

BAD_DATE = "Give the day as YYYY-MM-DD, for example 2026-03-02."


@require_POST
@member_required
def session_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    session, created = services.session_open(school_class=school_class, opened_by=membership)
    if not created:
        messages.info(request, "This class already has an open session: here it is.")
    return redirect("session_detail", public_id=session.public_id)


@member_required
def session_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.class_session_get(membership=request.membership, public_id=public_id)
    rows = selectors.session_roster(session=session)
    context = {
        "session": session,
        "rows": rows,
        "counts": selectors.roster_counts(rows=rows),
        "statuses": AttendanceStatus.choices,
        "school_zone": session.organisation.timezone,
        "can_mark": services.session_correctable(session=session, membership=request.membership),
    }
    return render(request, "records/session_detail.html", context)


@require_POST
@member_required
def session_mark(request: HttpRequest, public_id: UUID, student_id: UUID) -> HttpResponse:
    membership = request.membership
    session = selectors.class_session_get(membership=membership, public_id=public_id)
    student = selectors.student_get(membership=membership, public_id=student_id)
    mark_by_hand(request, session=session, student=student, label=student.full_name)
    url = reverse("session_detail", kwargs={"public_id": session.public_id})
    return redirect(f"{url}#student-{student.public_id}")


@require_POST
@member_required
def session_close(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.class_session_get(membership=request.membership, public_id=public_id)
    was_open = session.is_open
    session = services.session_close(session=session, closed_by=request.membership)
    if was_open:
        messages.success(request, "Session closed; everyone not seen is marked absent.")
    return redirect("session_detail", public_id=session.public_id)


@require_GET
@member_required
def class_daily_csv(request: HttpRequest, public_id: UUID) -> StreamingHttpResponse:
    """The seed tool's file: `Name,Roll,Time` of one day's check-ins, times in school time."""
    school_class = selectors.school_class_get(membership=request.membership, public_id=public_id)
    form = DailyExportForm(request.GET)
    if not form.is_valid():
        raise DomainError(BAD_DATE, field="date")
    organisation = school_class.organisation
    day = form.cleaned_data["date"] or selectors.school_today(organisation=organisation)
    zone = ZoneInfo(organisation.timezone)
    check_ins = selectors.daily_check_ins(school_class=school_class, day=day)
    rows = (
        (f"{given} {family}", number, seen.astimezone(zone).strftime("%H:%M:%S"))
        for given, family, number, seen in check_ins
    )
    filename = f"attendance-{slugify(school_class.name) or 'class'}-{day:%Y-%m-%d}.csv"
    return csv_download(rows, filename, header=("Name", "Roll", "Time"))


@never_cache
@require_GET
@member_required
def session_state(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """What the live session page shows, read from the database: it calls this whenever its
    socket (re)connects, so an event the channel layer dropped is never missing for long."""
    session = selectors.class_session_get(membership=request.membership, public_id=public_id)
    rows = selectors.session_roster(session=session)
    return JsonResponse(
        {
            **live.session_payload(session),
            "counts": selectors.roster_counts(rows=rows),
            "students": [
                live.record_payload(row.record)
                if row.record
                else {
                    "type": "attendance",
                    "student": str(row.student.public_id),
                    "name": row.student.full_name,
                    "status": "not_yet",
                    "status_label": "Not yet",
                    "first_seen_at": None,
                }
                for row in rows
            ],
        }
    )

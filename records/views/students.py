from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from accounts.decorators import admin_required, member_required
from accounts.errors import DomainError, NotFound
from records import reports, selectors, services
from records.forms import StudentForm
from records.models import AttendanceStatus, ClassSession, Student
from records.views.helpers import mark_by_hand, render_form_error

FORM_TEMPLATE = "records/student_form.html"
PAGE_SIZE = 50


@member_required
def student_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:80]
    show_archived = request.GET.get("archived") == "1" and request.membership.is_admin
    students = selectors.students_for(
        membership=request.membership, search=search, include_archived=show_archived
    )
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "records/student_list.html",
        {"page": page, "search": search, "show_archived": show_archived},
    )


@admin_required
def student_create(request: HttpRequest) -> HttpResponse:
    form = StudentForm(request.POST or None)
    context = {"form": form, "title": "New student"}
    if request.method == "POST" and form.is_valid():
        try:
            student = services.student_create(
                organisation=request.organisation, **form.cleaned_data
            )
        except DomainError as error:
            return render_form_error(request, FORM_TEMPLATE, context, error)
        messages.success(request, f"{student.full_name} added.")
        return redirect("student_detail", public_id=student.public_id)
    return render(request, FORM_TEMPLATE, context, status=400 if form.errors else 200)


@member_required
def student_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    membership = request.membership
    visible = selectors.students_for(membership=membership, include_archived=True)
    try:
        # The access check and the student's totals in one query.
        student = reports.students_with_totals(
            visible,
            school_classes=None
            if membership.is_admin
            else membership.organisation.school_classes.filter(
                teacher_assignments__teacher=membership
            ),
        ).get(public_id=public_id)
    except Student.DoesNotExist as error:
        raise NotFound(selectors.STUDENT_NOT_FOUND) from error
    classes = selectors.school_classes_for(membership=membership).filter(
        enrollments__student=student
    )
    history = list(selectors.student_attendance_history(membership=membership, student=student))
    for record in history:
        # The same school as the page's: spares session_correctable a query per row.
        record.session.organisation = membership.organisation
        record.can_mark = services.session_correctable(
            session=record.session, membership=membership
        )
    totals = reports.Totals.of(student)
    return render(
        request,
        "records/student_detail.html",
        {
            "student": student,
            "classes": classes,
            "history": history,
            "totals": totals,
            "statuses": AttendanceStatus.choices,
        },
    )


@require_POST
@member_required
def student_mark(request: HttpRequest, public_id: UUID, session_id: UUID) -> HttpResponse:
    """Set the student's status in one session from their page: the session page's service, so
    the same rules hold (teachers only for their classes and within the correction window)."""
    membership = request.membership
    student = selectors.student_get(membership=membership, public_id=public_id)
    session = selectors.class_session_get(membership=membership, public_id=session_id)
    mark_by_hand(request, session=session, student=student, label=_session_label(session))
    url = reverse("student_detail", kwargs={"public_id": student.public_id})
    return redirect(f"{url}#session-{session.public_id}")


def _session_label(session: ClassSession) -> str:
    return f"{session.school_class.name}, {localtime(session.opened_at):%a %d %b %H:%M}"


@admin_required
def student_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    student = selectors.student_get(membership=request.membership, public_id=public_id)
    initial = {field: getattr(student, field) for field in services.STUDENT_FIELDS}
    form = StudentForm(request.POST or None, initial=initial)
    context = {"form": form, "title": f"Edit {student.full_name}", "student": student}
    if request.method == "POST" and form.is_valid():
        try:
            services.student_update(student=student, **form.cleaned_data)
        except DomainError as error:
            return render_form_error(request, FORM_TEMPLATE, context, error)
        messages.success(request, "Student saved.")
        return redirect("student_detail", public_id=student.public_id)
    return render(request, FORM_TEMPLATE, context, status=400 if form.errors else 200)


@require_POST
@admin_required
def student_archive(request: HttpRequest, public_id: UUID) -> HttpResponse:
    student = selectors.student_get(membership=request.membership, public_id=public_id)
    if student.archived_at is None:
        services.student_archive(student=student)
        messages.success(request, f"{student.full_name} archived and removed from their classes.")
    else:
        services.student_restore(student=student)
        messages.success(request, f"{student.full_name} restored.")
    return redirect("student_detail", public_id=student.public_id)

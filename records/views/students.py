from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import admin_required, member_required
from accounts.errors import DomainError
from records import selectors, services
from records.forms import StudentForm
from records.views.helpers import render_form_error

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
    student = selectors.student_get(membership=request.membership, public_id=public_id)
    classes = selectors.school_classes_for(membership=request.membership).filter(
        enrollments__student=student
    )
    history = selectors.student_attendance_history(membership=request.membership, student=student)
    return render(
        request,
        "records/student_detail.html",
        {"student": student, "classes": classes, "history": history},
    )


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

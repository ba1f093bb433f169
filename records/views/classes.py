from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors as accounts_selectors
from accounts.decorators import admin_required, member_required
from accounts.errors import DomainError
from records import selectors, services
from records.forms import EnrolForm, SchoolClassForm, TeacherAssignForm
from records.views.helpers import render_form_error

FORM_TEMPLATE = "records/class_form.html"


@member_required
def class_list(request: HttpRequest) -> HttpResponse:
    show_archived = request.GET.get("archived") == "1" and request.membership.is_admin
    classes = selectors.school_classes_for(
        membership=request.membership, include_archived=show_archived
    )
    return render(
        request, "records/class_list.html", {"classes": classes, "show_archived": show_archived}
    )


@admin_required
def class_create(request: HttpRequest) -> HttpResponse:
    form = SchoolClassForm(request.POST or None)
    context = {"form": form, "title": "New class"}
    if request.method == "POST" and form.is_valid():
        try:
            school_class = services.school_class_create(
                organisation=request.organisation, **form.cleaned_data
            )
        except DomainError as error:
            return render_form_error(request, FORM_TEMPLATE, context, error)
        messages.success(request, f"Class “{school_class.name}” created.")
        return redirect("class_detail", public_id=school_class.public_id)
    return render(request, FORM_TEMPLATE, context, status=400 if form.errors else 200)


@member_required
def class_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    context: dict[str, object] = {
        "school_class": school_class,
        "roster": selectors.class_roster(school_class=school_class),
        "teachers": school_class.teachers.select_related("user"),
        "open_session": selectors.open_session_of(school_class=school_class),
        "recent_sessions": selectors.recent_sessions_of(school_class=school_class),
        "today": selectors.school_today(organisation=membership.organisation),
    }
    if membership.is_admin:
        context["enrol_form"] = EnrolForm(
            students=selectors.students_not_in_class(school_class=school_class)
        )
        context["assign_form"] = TeacherAssignForm(
            teachers=accounts_selectors.teachers_list(organisation=membership.organisation)
        )
    return render(request, "records/class_detail.html", context)


@admin_required
def class_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    school_class = selectors.school_class_get(membership=request.membership, public_id=public_id)
    initial = {"name": school_class.name, "external_id": school_class.external_id}
    form = SchoolClassForm(request.POST or None, initial=initial)
    context = {"form": form, "title": f"Edit {school_class.name}", "school_class": school_class}
    if request.method == "POST" and form.is_valid():
        try:
            services.school_class_update(school_class=school_class, **form.cleaned_data)
        except DomainError as error:
            return render_form_error(request, FORM_TEMPLATE, context, error)
        messages.success(request, "Class saved.")
        return redirect("class_detail", public_id=school_class.public_id)
    return render(request, FORM_TEMPLATE, context, status=400 if form.errors else 200)


@require_POST
@admin_required
def class_archive(request: HttpRequest, public_id: UUID) -> HttpResponse:
    school_class = selectors.school_class_get(membership=request.membership, public_id=public_id)
    if school_class.archived_at is None:
        services.school_class_archive(school_class=school_class)
        messages.success(request, f"Class “{school_class.name}” archived.")
    else:
        services.school_class_restore(school_class=school_class)
        messages.success(request, f"Class “{school_class.name}” restored.")
    return redirect("class_detail", public_id=school_class.public_id)


@require_POST
@admin_required
def class_enrol(request: HttpRequest, public_id: UUID) -> HttpResponse:
    school_class = selectors.school_class_get(membership=request.membership, public_id=public_id)
    form = EnrolForm(
        request.POST, students=selectors.students_not_in_class(school_class=school_class)
    )
    if not form.is_valid():
        raise DomainError("Choose a student of this school who is not in the class yet.")
    student = form.cleaned_data["student"]
    services.enrollment_create(school_class=school_class, student=student)
    messages.success(request, f"{student.full_name} enrolled in {school_class.name}.")
    return redirect("class_detail", public_id=school_class.public_id)


@require_POST
@admin_required
def class_unenrol(request: HttpRequest, public_id: UUID, student_id: UUID) -> HttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    student = selectors.student_get(membership=membership, public_id=student_id)
    services.enrollment_delete(school_class=school_class, student=student)
    messages.success(request, f"{student.full_name} removed from {school_class.name}.")
    return redirect("class_detail", public_id=school_class.public_id)


@require_POST
@admin_required
def class_assign_teacher(request: HttpRequest, public_id: UUID) -> HttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    teachers = accounts_selectors.teachers_list(organisation=membership.organisation)
    form = TeacherAssignForm(request.POST, teachers=teachers)
    if not form.is_valid():
        raise DomainError("Choose a teacher of this school.")
    teacher = accounts_selectors.teacher_get(
        organisation=membership.organisation, public_id=form.cleaned_data["teacher"]
    )
    services.teacher_assign(school_class=school_class, teacher=teacher)
    messages.success(request, f"{teacher.user} now teaches {school_class.name}.")
    return redirect("class_detail", public_id=school_class.public_id)


@require_POST
@admin_required
def class_unassign_teacher(request: HttpRequest, public_id: UUID, teacher_id: UUID) -> HttpResponse:
    membership = request.membership
    school_class = selectors.school_class_get(membership=membership, public_id=public_id)
    teacher = accounts_selectors.teacher_get(
        organisation=membership.organisation, public_id=teacher_id
    )
    services.teacher_unassign(school_class=school_class, teacher=teacher)
    messages.success(request, f"{teacher.user} no longer teaches {school_class.name}.")
    return redirect("class_detail", public_id=school_class.public_id)

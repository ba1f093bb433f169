from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import selectors, services
from accounts.decorators import admin_required
from accounts.errors import DomainError
from accounts.forms import TeacherForm
from accounts.models import Role

FORM_TEMPLATE = "accounts/teacher_form.html"


@admin_required
def teacher_list(request: HttpRequest) -> HttpResponse:
    teachers = selectors.teachers_list(organisation=request.organisation).prefetch_related(
        "school_classes"
    )
    return render(request, "accounts/teacher_list.html", {"teachers": teachers})


@admin_required
def teacher_create(request: HttpRequest) -> HttpResponse:
    form = TeacherForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_create(
                organisation=request.organisation, role=Role.TEACHER, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return render(request, FORM_TEMPLATE, {"form": form}, status=error.status)
        messages.success(request, f"{membership.user} can now log in as a teacher.")
        return redirect("teacher_list")
    return render(request, FORM_TEMPLATE, {"form": form}, status=400 if form.errors else 200)

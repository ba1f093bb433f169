from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.errors import DomainError, NotFound, PermissionDenied
from records import services
from records.forms import MarkForm
from records.models import ClassSession, Student

BAD_MARK = "Choose present, late, absent or excused."


def render_form_error(
    request: HttpRequest, template: str, context: dict[str, object], error: DomainError
) -> HttpResponse:
    """Show a service's refusal on the form that caused it, as a 4xx, nothing saved."""
    form: forms.Form = context["form"]
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    return render(request, template, context, status=error.status)


def mark_by_hand(
    request: HttpRequest, *, session: ClassSession, student: Student, label: str
) -> None:
    """One tap on a status button, from the session page or the student's page: the service
    decides; a refusal the person can fix (a missing reason) is said on the page they are on."""
    form = MarkForm(request.POST)
    if not form.is_valid():
        raise DomainError(BAD_MARK)
    try:
        record = services.attendance_mark_by_hand(
            session=session, student=student, actor=request.user, **form.cleaned_data
        )
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        messages.error(request, f"{label}: {error.message}")
    else:
        messages.success(request, f"{label}: {record.get_status_display()}.")

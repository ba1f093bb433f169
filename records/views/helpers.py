from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.errors import DomainError


def render_form_error(
    request: HttpRequest, template: str, context: dict[str, object], error: DomainError
) -> HttpResponse:
    """Show a service's refusal on the form that caused it, as a 4xx, nothing saved."""
    form: forms.Form = context["form"]
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    return render(request, template, context, status=error.status)

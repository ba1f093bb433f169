"""API keys for school admins: list, create (the key shown once), revoke with a confirmation.

A module of its own beside accounts/views.py, with its one form, so the SIS integration's pages
change in one place.
"""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.decorators import admin_required
from accounts.errors import DomainError
from accounts.models import ApiKeyScope

FORM_TEMPLATE = "accounts/api_key_form.html"


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Which system uses it, e.g. “SIS sync”.")
    scope = forms.ChoiceField(
        choices=[
            (ApiKeyScope.READ, "Read only: rosters and attendance out"),
            (ApiKeyScope.READ_WRITE, "Read and write: also rosters in, sessions, status changes"),
        ],
        initial=ApiKeyScope.READ,
        widget=forms.RadioSelect,
    )


@admin_required
def api_key_list(request: HttpRequest) -> HttpResponse:
    api_keys = selectors.api_keys_list(organisation=request.organisation)
    return render(request, "accounts/api_key_list.html", {"api_keys": api_keys})


@never_cache  # the result page holds the plaintext: no browser or proxy may keep it
@admin_required
def api_key_create(request: HttpRequest) -> HttpResponse:
    """The plaintext is rendered into this one response and kept nowhere: not in the session,
    not in a message, not in a redirect. A reload offers the empty form again."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_key, plaintext = services.api_key_create(
                organisation=request.organisation, created_by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return render(request, FORM_TEMPLATE, {"form": form}, status=error.status)
        return render(
            request, "accounts/api_key_created.html", {"api_key": api_key, "plaintext": plaintext}
        )
    return render(request, FORM_TEMPLATE, {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_required
def api_key_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """GET asks to confirm; POST revokes."""
    api_key = selectors.api_key_get(organisation=request.organisation, public_id=public_id)
    if request.method == "POST":
        services.api_key_revoke(api_key=api_key)
        messages.success(request, f"{api_key.name} ({api_key.prefix}…) is revoked.")
        return redirect("api_key_list")
    return render(request, "accounts/api_key_revoke.html", {"api_key": api_key})

"""Webhook endpoints for school admins: list, register (secret shown once), disable, deliveries."""

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.decorators import admin_required
from accounts.errors import DomainError
from records.views.helpers import render_form_error
from records.webhooks import selectors, services
from records.webhooks.forms import WebhookEndpointForm

FORM_TEMPLATE = "records/webhook_form.html"
DELIVERIES_PER_PAGE = 50


@admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = selectors.webhook_endpoints_list(organisation=request.organisation)
    return render(request, "records/webhook_list.html", {"endpoints": endpoints})


@never_cache  # the result page holds the secret: no browser or proxy may keep it
@admin_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    """The secret is rendered into this one response; the endpoint list never shows it."""
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(
                organisation=request.organisation, created_by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            return render_form_error(request, FORM_TEMPLATE, {"form": form}, error)
        return render(request, "records/webhook_created.html", {"endpoint": endpoint})
    return render(request, FORM_TEMPLATE, {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_required
def webhook_disable(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """GET asks to confirm; POST disables (pending deliveries are dropped at their next try)."""
    endpoint = selectors.webhook_endpoint_get(
        organisation=request.organisation, public_id=public_id
    )
    if request.method == "POST":
        services.webhook_endpoint_disable(endpoint=endpoint)
        messages.success(request, f"{endpoint.url} gets no more events.")
        return redirect("webhook_list")
    return render(request, "records/webhook_disable.html", {"endpoint": endpoint})


@admin_required
def webhook_deliveries(request: HttpRequest, public_id: UUID) -> HttpResponse:
    endpoint = selectors.webhook_endpoint_get(
        organisation=request.organisation, public_id=public_id
    )
    paginator = Paginator(selectors.webhook_deliveries_of(endpoint=endpoint), DELIVERIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "records/webhook_deliveries.html", {"endpoint": endpoint, "page": page})

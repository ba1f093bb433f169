from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import member_required
from records import selectors


@member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    context = {
        "classes": selectors.school_classes_for(membership=membership),
        "summary": selectors.organisation_summary(organisation=membership.organisation)
        if membership.is_admin
        else None,
    }
    return render(request, "records/dashboard.html", context)

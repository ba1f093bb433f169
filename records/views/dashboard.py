from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import member_required
from records import live, selectors


def _today(request: HttpRequest) -> dict[str, object]:
    membership = request.membership
    day = selectors.school_today(organisation=membership.organisation)
    return {
        "day": day,
        "sessions": selectors.sessions_of_day(membership=membership, day=day),
        "check_ins": selectors.recent_check_ins(membership=membership, day=day),
    }


@member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    context = {
        "classes": selectors.school_classes_for(membership=membership),
        "summary": selectors.organisation_summary(organisation=membership.organisation)
        if membership.is_admin
        else None,
        **_today(request),
    }
    return render(request, "records/dashboard.html", context)


@never_cache
@require_GET
@member_required
def dashboard_state(request: HttpRequest) -> JsonResponse:
    """Today's sessions and check-ins, for the dashboard to re-sync when its socket reconnects."""
    today = _today(request)
    return JsonResponse(
        {
            "day": today["day"].isoformat(),
            "sessions": [
                {
                    **live.session_payload(session),
                    "opened_at": session.opened_at.isoformat(),
                    "counts": {
                        "enrolled": session.enrolled,
                        "present": session.present,
                        "late": session.late,
                        "absent": session.absent,
                        "excused": session.excused,
                    },
                }
                for session in today["sessions"]
            ],
            "check_ins": [live.record_payload(record) for record in today["check_ins"]],
        }
    )

"""OneRoster roster import for school admins: upload → preview → confirm → progress."""

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import admin_required
from accounts.errors import DomainError, NotFound
from records import oneroster, services
from records.forms import ImportUploadForm
from records.models import ImportJob
from records.views.helpers import render_form_error

LIST_TEMPLATE = "records/import_list.html"
IMPORT_NOT_FOUND = "No such import."


def _job_get(request: HttpRequest, public_id: UUID) -> ImportJob:
    try:
        return request.organisation.import_jobs.defer("bundle").get(public_id=public_id)
    except ImportJob.DoesNotExist as error:
        raise NotFound(IMPORT_NOT_FOUND) from error


@admin_required
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    jobs = request.organisation.import_jobs.defer("bundle").select_related("created_by__user")[:20]
    context = {"form": form, "jobs": jobs, "max_mb": oneroster.MAX_ZIP_BYTES // (1024 * 1024)}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["bundle"]
        try:
            # The size is checked before a byte is read into memory.
            if upload.size > oneroster.MAX_ZIP_BYTES:
                raise DomainError(oneroster.TOO_BIG, field="bundle")
            job = services.import_job_create(
                organisation=request.organisation,
                created_by=request.membership,
                filename=upload.name,
                data=upload.read(),
            )
        except DomainError as error:
            return render_form_error(request, LIST_TEMPLATE, context, error)
        return redirect("import_detail", public_id=job.public_id)
    return render(request, LIST_TEMPLATE, context, status=400 if form.errors else 200)


@admin_required
def import_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = _job_get(request, public_id)
    done, total = services.import_job_progress(job=job)
    return render(
        request,
        "records/import_detail.html",
        {"job": job, "done": done, "total": total, "counts": job.result or job.preview},
    )


@require_POST
@admin_required
def import_confirm(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = services.import_job_confirm(job=_job_get(request, public_id))
    messages.success(request, f"Importing {job.filename}.")
    return redirect("import_detail", public_id=job.public_id)


@never_cache
@require_GET
@admin_required
def import_status(request: HttpRequest, public_id: UUID) -> JsonResponse:
    job = _job_get(request, public_id)
    done, total = services.import_job_progress(job=job)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "done": done,
            "total": total,
            "finished": job.status in ("done", "failed"),
            "error": job.error,
            "result": job.result,
            "problems": job.problems[:20],
        }
    )

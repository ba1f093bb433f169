"""Biometric pages: school admins only, and only while the school has recognition on."""

from uuid import UUID

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import admin_required
from accounts.errors import DomainError
from recognition import selectors, services
from recognition.forms import BiometricsForm, ConsentForm, PhotoUploadForm
from recognition.services.consent import biometrics_require
from records import selectors as records_selectors

MAX_UPLOAD_BYTES = 10_000_000
MAX_FILES_PER_UPLOAD = 20


def _student(request: HttpRequest, public_id: UUID):  # noqa: ANN202 -- returns a Student
    return records_selectors.student_get(membership=request.membership, public_id=public_id)


def _faces_context(request: HttpRequest, student: object, **extra: object) -> dict[str, object]:
    return {
        "student": student,
        "consent": selectors.consent_active(student=student),
        "consent_history": selectors.consent_history(student=student),
        "photos": selectors.face_photos_of(student=student),
        "consent_form": extra.pop("consent_form", None) or ConsentForm(),
        "upload_form": PhotoUploadForm(),
        **extra,
    }


@never_cache
@admin_required
def student_faces(request: HttpRequest, public_id: UUID) -> HttpResponse:
    biometrics_require(request.organisation)
    student = _student(request, public_id)
    return render(request, "recognition/student_faces.html", _faces_context(request, student))


@require_POST
@admin_required
def consent_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    biometrics_require(request.organisation)
    student = _student(request, public_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record(
                student=student, recorded_by=request.membership, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            context = _faces_context(request, student, consent_form=form)
            return render(request, "recognition/student_faces.html", context, status=error.status)
        messages.success(request, f"Consent recorded for {student.full_name}.")
        return redirect("student_faces", public_id=student.public_id)
    context = _faces_context(request, student, consent_form=form)
    return render(request, "recognition/student_faces.html", context, status=400)


@require_POST
@admin_required
def consent_withdraw(request: HttpRequest, public_id: UUID) -> HttpResponse:
    # Never refused, even with recognition off: withdrawal must always be possible.
    student = _student(request, public_id)
    services.consent_withdraw(student=student, withdrawn_by=request.membership)
    messages.success(
        request,
        f"Consent withdrawn: {student.full_name}'s photos are erased and the model rebuilt.",
    )
    return redirect("student_detail", public_id=student.public_id)


@require_POST
@admin_required
def photo_upload(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Each file gets its own verdict; accepted ones are kept even if others are refused."""
    biometrics_require(request.organisation)
    student = _student(request, public_id)
    uploads = request.FILES.getlist("photos")
    results = []
    if not uploads:
        results.append(
            {
                "name": "",
                "accepted": False,
                "code": "no_file",
                "message": "Choose at least one photo.",
            }
        )
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        uploads = []
        results.append(
            {
                "name": "",
                "accepted": False,
                "code": "too_many_files",
                "message": f"Upload at most {MAX_FILES_PER_UPLOAD} photos at once.",
            }
        )
    for upload in uploads:
        name = upload.name or "photo"
        if upload.size > MAX_UPLOAD_BYTES:
            results.append(
                {
                    "name": name,
                    "accepted": False,
                    "code": "too_large_bytes",
                    "message": f"The file is {upload.size / 1e6:.1f} MB; the limit is "
                    f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB.",
                }
            )
            continue
        try:
            photo = services.face_photo_enrol(
                student=student, data=upload.read(), uploaded_by=request.membership
            )
        except DomainError as error:
            results.append(
                {"name": name, "accepted": False, "code": error.code, "message": error.message}
            )
            if error.code in {"biometrics_off", "consent_required"}:
                break
        else:
            results.append(
                {
                    "name": name,
                    "accepted": True,
                    "code": "accepted",
                    "message": "Accepted.",
                    "photo": str(photo.public_id),
                }
            )
    status = 200 if any(result["accepted"] for result in results) else 400
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"results": results}, status=status)
    context = _faces_context(request, student, upload_results=results)
    return render(request, "recognition/student_faces.html", context, status=status)


@never_cache
@require_GET
@admin_required
def photo_image(request: HttpRequest, public_id: UUID) -> FileResponse:
    biometrics_require(request.organisation)
    photo = selectors.face_photo_get(organisation=request.organisation, public_id=public_id)
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "no-store, private"
    return response


@require_POST
@admin_required
def photo_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    photo = selectors.face_photo_get(organisation=request.organisation, public_id=public_id)
    student = photo.student
    services.face_photo_delete(photo=photo)
    messages.success(request, "Photo deleted; the model is being rebuilt without it.")
    return redirect("student_faces", public_id=student.public_id)


@never_cache
@admin_required
def model_page(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    context: dict[str, object] = {
        "status": selectors.model_status(organisation=organisation),
        "biometrics_form": BiometricsForm(initial={"enabled": organisation.biometrics_enabled}),
    }
    if organisation.biometrics_enabled:
        context["models"] = selectors.face_models_recent(organisation=organisation)
        context["overview"] = selectors.enrolment_overview(organisation=organisation)
    return render(request, "recognition/model.html", context)


@never_cache
@require_GET
@admin_required
def model_status(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.model_status(organisation=request.organisation))


@require_POST
@admin_required
def biometrics_toggle(request: HttpRequest) -> HttpResponse:
    form = BiometricsForm(request.POST)
    form.is_valid()  # a checkbox: absent means off
    enabled = bool(form.cleaned_data.get("enabled"))
    services.biometrics_set(organisation=request.organisation, enabled=enabled)
    messages.success(request, f"Face recognition is now {'on' if enabled else 'off'}.")
    return redirect("model_page")


@require_POST
@admin_required
def model_rebuild(request: HttpRequest) -> HttpResponse:
    biometrics_require(request.organisation)
    services.rebuild_request(organisation=request.organisation, reason="requested by an admin")
    messages.success(request, "A rebuild of the model has been requested.")
    return redirect("model_page")

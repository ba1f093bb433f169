"""Enrolment: consent first, a verdict for every photo, nothing stored from a refused one."""

import struct
import zlib

import cv2
import numpy as np
import pytest

from accounts.scoping import organisation_scope
from recognition import services
from recognition.errors import BiometricsOff, ConsentMissing, PhotoRejected
from recognition.models import FacePhoto
from tests.recognition.conftest import as_jpeg, decoded, enrol, yale_photo

pytestmark = pytest.mark.faces


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00" * 64
    )


def _files(private_root):
    return [p for p in private_root.rglob("*") if p.is_file()] if private_root.exists() else []


def test_an_accepted_photo_is_stored_privately_without_metadata(biometric_school, private_root):
    school = biometric_school
    [photo] = enrol(school, school.student, 1, conditions=("noglasses",))
    stored = _files(private_root)
    assert len(stored) == 1
    assert stored[0].name == f"{photo.public_id}.jpg"
    assert school.student.family_name not in str(stored[0])
    assert stored[0].stat().st_mode & 0o077 == 0  # readable by the server's user only
    assert stored[0].read_bytes()[:2] == b"\xff\xd8"
    assert b"Exif" not in stored[0].read_bytes()[:64]


def test_enrolment_without_consent_is_refused_with_the_reason(biometric_school, school_b):
    school = biometric_school
    with organisation_scope(school.organisation):
        services.consent_withdraw(student=school.student, withdrawn_by=school.admin)
        with pytest.raises(ConsentMissing, match="no active consent"):
            services.face_photo_enrol(
                student=school.student, data=yale_photo(1, "noglasses"), uploaded_by=school.admin
            )
        assert FacePhoto.objects.count() == 0


def test_enrolment_is_refused_while_recognition_is_off(biometric_school):
    school = biometric_school
    services.biometrics_set(organisation=school.organisation, enabled=False)
    with organisation_scope(school.organisation), pytest.raises(BiometricsOff):
        services.face_photo_enrol(
            student=school.student, data=yale_photo(1, "noglasses"), uploaded_by=school.admin
        )


def _three_faces() -> bytes:
    return as_jpeg(np.hstack([decoded(yale_photo(s, "noglasses")) for s in (1, 2, 3)]))


def _blank() -> bytes:
    return as_jpeg(np.full((480, 640, 3), 180, np.uint8))


def _tiny_face() -> bytes:
    small = cv2.resize(decoded(yale_photo(1, "noglasses")), (80, 61))
    canvas = np.full((600, 800, 3), 200, np.uint8)
    canvas[100:161, 100:180] = small
    return as_jpeg(canvas)


def _blurred() -> bytes:
    return as_jpeg(cv2.GaussianBlur(decoded(yale_photo(1, "noglasses")), (0, 0), 6))


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: b"%PDF-1.4 not a photo at all", "unsupported_type"),
        (lambda: b"just some text, no picture", "not_an_image"),
        (lambda: _png_header(20_000, 20_000), "too_many_pixels"),
        (lambda: _blank(), "no_face"),
        (_three_faces, "several_faces"),
        (_tiny_face, "face_too_small"),
        (_blurred, "too_blurry"),
        (lambda: yale_photo(1, "noglasses")[:300], "truncated"),
    ],
    ids=[
        "pdf",
        "not-an-image",
        "pixel-bomb",
        "no-face",
        "three-faces",
        "tiny-face",
        "blurred",
        "truncated",
    ],
)
def test_a_bad_photo_gets_its_reason_and_nothing_is_stored(
    biometric_school, private_root, make, code
):
    school = biometric_school
    with organisation_scope(school.organisation):
        with pytest.raises(PhotoRejected) as refused:
            services.face_photo_enrol(student=school.student, data=make(), uploaded_by=school.admin)
        assert refused.value.code == code
        assert refused.value.message
        assert FacePhoto.objects.count() == 0
    assert _files(private_root) == []


def test_uploads_through_the_page_each_get_a_verdict(biometric_school, client_for, private_root):
    school = biometric_school
    client = client_for(school.admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/students/{school.student.public_id}/photos/",
        {
            "photos": [
                SimpleUploadedFile("good.gif", yale_photo(1, "noglasses"), "image/gif"),
                SimpleUploadedFile("group.jpg", _three_faces(), "image/jpeg"),
                SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"\0" * 50_000_000, "image/jpeg"),
                SimpleUploadedFile("notes.txt", b"hello", "text/plain"),
            ]
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    verdicts = {r["name"]: (r["accepted"], r["code"]) for r in response.json()["results"]}
    assert verdicts == {
        "good.gif": (True, "accepted"),
        "group.jpg": (False, "several_faces"),
        "huge.jpg": (False, "too_large_bytes"),
        "notes.txt": (False, "not_an_image"),
    }
    assert len(_files(private_root)) == 1


def test_a_photo_is_served_only_to_its_schools_admins_and_never_cached(
    biometric_school, school_b, client_for
):
    school = biometric_school
    [photo] = enrol(school, school.student, 1, conditions=("noglasses",))
    url = f"/photos/{photo.public_id}/image.jpg"
    response = client_for(school.admin).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert client_for(school_b.admin).get(url).status_code == 404
    assert client_for(school.teacher).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302

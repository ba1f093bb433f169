"""The camera socket: real frames of real faces in, check-ins out, strangers never named."""

import asyncio

import cv2
import numpy as np
import pytest
from asgiref.sync import sync_to_async

from accounts.scoping import organisation_scope
from recognition.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_LARGE,
    CLOSE_UNAUTHENTICATED,
)
from recognition.engine.engines import get_engine
from recognition.engine.synthetic import compose_scene
from records import services as records_services
from records.models import AttendanceRecord
from tests.recognition.conftest import decoded, enrolled_classroom, yale_photo

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True), pytest.mark.faces]


def _portrait(subject: int, condition: str = "wink"):
    image = decoded(yale_photo(subject, condition))
    return image, get_engine().detect(image)[0]


def frame(*subjects: int, seed: int = 0, condition: str = "wink") -> bytes:
    """A 640x480 classroom-like JPEG with these Yale subjects' faces; the seed varies the noise,
    so two frames of the same scene are never byte-identical (as with a real camera)."""
    rng = np.random.default_rng(seed)
    scene, _ = compose_scene(
        [_portrait(s, condition) for s in subjects], size=(640, 480), face_heights=110, rng=rng
    )
    noisy = np.clip(scene + rng.normal(0, 2, scene.shape), 0, 255).astype(np.uint8)
    return cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


async def _until(socket, kind: str, timeout: float = 20):
    while True:
        message = await socket.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


def _records(session):
    with organisation_scope(session.organisation):
        return list(
            AttendanceRecord.objects.filter(session=session).values_list(
                "student__public_id", "source", "model_version"
            )
        )


async def test_students_in_view_are_checked_in_after_two_frames_and_a_stranger_never(
    school_a, school_b, connect, private_root
):
    session, ada = await sync_to_async(enrolled_classroom)(school_a)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    assert (await _until(camera, "ready"))["students"] == 2

    await camera.send_to(bytes_data=frame(1, 2, 9, seed=1))
    first = await _until(camera, "frame")
    assert len(first["faces"]) == 3
    assert sorted(f["name"] or "?" for f in first["faces"]) == [
        "?",
        "Ada Lovelace",
        school_a.student.full_name,
    ]
    assert first["unknown"] == 1
    assert await sync_to_async(_records)(session) == []  # one frame is never enough

    await asyncio.sleep(0.5)
    await camera.send_to(bytes_data=frame(1, 2, 9, seed=2))
    checked_in = {(await _until(camera, "checked_in"))["student"] for _ in range(2)}
    assert checked_in == {str(school_a.student.public_id), str(ada.public_id)}
    rows = await sync_to_async(_records)(session)
    assert {(str(student), source) for student, source, _ in rows} == {
        (str(school_a.student.public_id), "face"),
        (str(ada.public_id), "face"),
    }
    assert all(version is not None for _, _, version in rows)


async def test_the_same_frame_sent_twice_checks_nobody_in(
    school_a, school_b, connect, private_root
):
    session, _ = await sync_to_async(enrolled_classroom)(school_a)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    await _until(camera, "ready")
    still = frame(1, seed=3)
    await camera.send_to(bytes_data=still)
    await _until(camera, "frame")
    for _ in range(3):
        await asyncio.sleep(0.5)
        await camera.send_to(bytes_data=still)
    assert await camera.receive_nothing(timeout=2)
    assert await sync_to_async(_records)(session) == []


async def test_an_oversized_frame_closes_the_camera_with_a_reason(
    school_a, school_b, connect, private_root
):
    session, _ = await sync_to_async(enrolled_classroom)(school_a)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    await _until(camera, "ready")
    await camera.send_to(bytes_data=b"\xff\xd8" + b"\0" * 400_000)
    error = await camera.receive_json_from(timeout=5)
    assert "over the 300 KB limit" in error["message"]
    assert await camera.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": CLOSE_TOO_LARGE,
    }


def _open_plain_session(school, *, biometrics: bool):
    school.organisation.biometrics_enabled = biometrics
    school.organisation.save()
    with organisation_scope(school.organisation):
        session, _ = records_services.session_open(
            school_class=school.school_class, opened_by=school.teacher or school.admin
        )
    return session


@pytest.mark.parametrize(
    ("role", "biometrics", "expected"),
    [
        ("anonymous", True, CLOSE_UNAUTHENTICATED),
        ("teacher_a", True, "ready"),
        ("admin_a", True, "ready"),
        ("admin_b", True, CLOSE_NOT_FOUND),
        ("teacher_a", False, CLOSE_FORBIDDEN),
    ],
)
async def test_camera_permission_matrix(role, biometrics, expected, school_a, school_b, connect):
    session = await sync_to_async(_open_plain_session)(school_a, biometrics=biometrics)
    membership = {
        "anonymous": None,
        "teacher_a": school_a.teacher,
        "admin_a": school_a.admin,
        "admin_b": school_b.admin,
    }[role]
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", membership)
    message = await camera.receive_json_from(timeout=5)
    if expected == "ready":
        assert message["type"] == "ready"
    else:
        assert message["type"] == "error"
        assert await camera.receive_output(timeout=5) == {
            "type": "websocket.close",
            "code": expected,
        }


def _only_suggest(school):
    """Nobody is close enough to be accepted outright: every known face is a question."""
    organisation = school.organisation
    organisation.accept_threshold = 0.1
    organisation.suggest_threshold = 0.6
    organisation.save()


async def test_an_uncertain_face_is_asked_about_and_one_tap_checks_the_student_in(
    school_a, school_b, connect
):
    session, ada = await sync_to_async(enrolled_classroom)(school_a)
    await sync_to_async(_only_suggest)(school_a)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    await _until(camera, "ready")
    await camera.send_to(bytes_data=frame(2, seed=5))
    question = await _until(camera, "suggest")
    assert (question["student"], question["name"]) == (str(ada.public_id), "Ada Lovelace")
    assert await sync_to_async(_records)(session) == []  # a question marks nobody

    await camera.send_json_to({"type": "confirm", "student": question["student"]})
    assert (await _until(camera, "checked_in"))["student"] == str(ada.public_id)
    [(student, source, version)] = await sync_to_async(_records)(session)
    assert (str(student), source) == (str(ada.public_id), "face")
    assert version is not None


async def test_a_rejected_suggestion_is_not_asked_again_and_marks_nobody(
    school_a, school_b, connect
):
    session, _ = await sync_to_async(enrolled_classroom)(school_a)
    await sync_to_async(_only_suggest)(school_a)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    await _until(camera, "ready")
    await camera.send_to(bytes_data=frame(2, seed=6))
    question = await _until(camera, "suggest")
    await _until(camera, "frame")
    await camera.send_json_to({"type": "reject", "student": question["student"]})
    later = []
    for seed in (7, 8):
        await asyncio.sleep(0.5)
        await camera.send_to(bytes_data=frame(2, seed=seed))
        while (message := await camera.receive_json_from(timeout=20))["type"] != "frame":
            later.append(message["type"])
    assert later == []  # no second question, no check-in
    assert await sync_to_async(_records)(session) == []


async def _next_frame(socket) -> dict:
    return await _until(socket, "frame")


async def test_frames_sent_too_soon_are_not_lost_the_newest_is_analysed_next(
    school_a, school_b, connect, private_root
):
    """About two frames a second are analysed per camera; what comes sooner waits, and a newer
    frame replaces it, so the next answer is about what the camera sees now."""
    session, _ = await sync_to_async(enrolled_classroom)(school_a)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    await _until(camera, "ready")

    for scene in (frame(1, seed=11), frame(1, 2, seed=12), frame(1, 2, 9, seed=13)):
        await camera.send_to(bytes_data=scene)
    first, second = await _next_frame(camera), await _next_frame(camera)
    assert len(first["faces"]) == 1
    assert len(second["faces"]) == 3  # the newest, not the one it replaced
    assert second["dropped"] == 1
    assert await camera.receive_nothing(timeout=1)


async def test_a_camera_waiting_for_a_busy_worker_sends_its_newest_frame(
    school_a, school_b, connect, private_root, monkeypatch
):
    """With one worker and two classrooms, the second camera's frames do not queue behind the
    first's: while it waits, a newer frame replaces the older one."""
    monkeypatch.setenv("RECOGNITION_WORKERS", "1")
    session, _ = await sync_to_async(enrolled_classroom)(school_a)
    busy = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    waiting = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.admin)
    await _until(busy, "ready")
    await _until(waiting, "ready")

    await busy.send_to(bytes_data=frame(1, 2, 9, seed=21))
    await asyncio.sleep(0.05)  # its frame is in the worker
    await waiting.send_to(bytes_data=frame(1, seed=22))
    await waiting.send_to(bytes_data=frame(1, 2, seed=23))

    assert len((await _next_frame(busy))["faces"]) == 3
    answer = await _next_frame(waiting)
    assert len(answer["faces"]) == 2
    assert answer["dropped"] == 1
    assert await waiting.receive_nothing(timeout=1)


async def test_a_ping_is_answered_with_a_pong_and_other_messages_are_handled_as_before(
    school_a, school_b, connect
):
    """The camera page's watchdog pings when no frame has been answered for a while (a frozen
    camera sends frames the server skips); a pong says the connection is still there."""
    session = await sync_to_async(_open_plain_session)(school_a, biometrics=True)
    camera = await connect(f"/ws/sessions/{session.public_id}/camera/", school_a.teacher)
    await _until(camera, "ready")

    await camera.send_json_to({"type": "ping"})
    assert await camera.receive_json_from(timeout=5) == {"type": "pong"}
    await camera.send_json_to({"type": "confirm", "student": str(school_b.student.public_id)})
    assert await camera.receive_nothing(timeout=0.5)  # nothing was asked about: ignored
    await camera.send_to(text_data="ping")
    assert (await camera.receive_json_from(timeout=5))["message"] == "Unreadable message."
    await camera.send_json_to({"type": "ping"})
    assert await camera.receive_json_from(timeout=5) == {"type": "pong"}

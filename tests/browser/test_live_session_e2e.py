"""End to end: Chromium's fake webcam plays a video of real faces to the teacher's session page;
two students are checked in live on the teacher's page (server process 1) and on the admin's
dashboard (server process 2); the stranger in the video never becomes anyone."""

import os
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.scoping import organisation_scope
from recognition.engine.engines import get_engine
from recognition.engine.synthetic import compose_scene
from records.models import AttendanceRecord
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.servers import (
    log_in,
    require_postgresql_and_redis,
    server_env,
    server_password,
    start_all,
)
from tests.processes import Served
from tests.recognition.conftest import decoded, enrolled_classroom, yale_photo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.faces,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]

FPS = 10
HOLD_SECONDS = 4  # each person stays in view this long; the video then loops


def write_y4m(path: Path, subjects: list[int]) -> None:
    """A 640x480 video: each Yale subject held in view for a few seconds, with sensor-like
    noise so that no two frames are identical (a frozen frame is not counted as evidence)."""
    engine = get_engine()
    rng = np.random.default_rng(7)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W640 H480 F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for subject in subjects:
            image = decoded(yale_photo(subject, "wink"))
            scene, _ = compose_scene(
                [(image, engine.detect(image)[0])], size=(640, 480), face_heights=170, rng=rng
            )
            for _ in range(FPS * HOLD_SECONDS):
                noisy = np.clip(scene + rng.normal(0, 3, scene.shape), 0, 255).astype(np.uint8)
                video.write(b"FRAME\n" + cv2.cvtColor(noisy, cv2.COLOR_BGR2YUV_I420).tobytes())


@pytest.fixture
def servers(transactional_db, private_root, tmp_path):
    """Two servers as production runs them (attendance_project.serve, uvicorn) on the test
    database and the Redis channel layer, one worker each so that each page is known to reach
    its own process. (daphne, which `make run` serves from, is tested in test_live_reconnect.)"""
    require_postgresql_and_redis()
    env = server_env(private_root)
    processes = [
        Served(env=env, log=tmp_path / f"server{number}.log", workers=1) for number in (1, 2)
    ]
    start_all(processes)
    yield [process.url for process in processes]
    for process in processes:
        process.stop()
    for number, process in enumerate(processes, 1):  # shown by pytest when the test fails
        print(f"--- server {number} ---\n" + process.log_tail())


def test_two_students_are_checked_in_live_on_both_pages_and_the_stranger_never(
    servers, school_a, school_b, artefacts_dir, tmp_path
):
    session, ada = enrolled_classroom(school_a)
    server_password(school_a.admin, school_a.teacher)
    video = tmp_path / "classroom.y4m"
    write_y4m(video, subjects=[1, 2, 9])  # the two students, then a stranger (Yale 9)
    home = tempfile.mkdtemp(prefix="chromium-home-")
    teacher_url, admin_url = servers
    names = [school_a.student.full_name, ada.full_name]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
                env={**os.environ, "HOME": home},
            )
            admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            log_in(admin, admin_url, school_a.admin.user.username)
            expect(admin.locator("[data-live-status]")).to_have_text("live", timeout=15_000)

            teacher = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            log_in(teacher, teacher_url, school_a.teacher.user.username)
            teacher.goto(f"{teacher_url}/sessions/{session.public_id}/")
            teacher.get_by_role("button", name="Start camera").click()
            expect(teacher.locator("[data-camera-status]")).to_contain_text(
                "watching", timeout=20_000
            )

            for student in (school_a.student, ada):
                row = teacher.locator(f'tr[data-student="{student.public_id}"]')
                expect(row).to_have_attribute("data-state", "present", timeout=45_000)
            feed = admin.locator("#check-ins")
            for name in names:
                expect(feed).to_contain_text(name, timeout=15_000)

            # Let the stranger's part of the video play through at least once more.
            time.sleep(HOLD_SECONDS * 3 + 2)
            expect(teacher.locator("[data-unknown]")).not_to_have_text("0")
            teacher.screenshot(path=f"{artefacts_dir}/e2e-teacher-session.png", full_page=True)
            admin.screenshot(path=f"{artefacts_dir}/e2e-admin-dashboard.png", full_page=True)
            browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    with organisation_scope(school_a.organisation):
        rows = list(
            AttendanceRecord.objects.filter(session=session).values_list(
                "student__public_id", "status", "source"
            )
        )
    assert sorted(rows) == sorted(
        [
            (school_a.student.public_id, "present", "face"),
            (ada.public_id, "present", "face"),
        ]
    )

"""An admin turns recognition on, records consent, uploads photos and sees the model ready."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.recognition.conftest import yale_photo

pytestmark = [pytest.mark.browser, pytest.mark.faces]


def test_admin_enrols_a_student_by_upload_and_sees_the_model_become_ready(
    live_server,
    browser,
    login,
    school_a,
    school_b,
    celery_worker,
    settings,
    tmp_path,
    artefacts_dir,
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    photos = []
    for condition in ("noglasses", "happy", "sleepy"):
        path = tmp_path / f"{condition}.gif"
        path.write_bytes(yale_photo(4, condition))
        photos.append(path)
    group = tmp_path / "not-a-photo.txt"
    group.write_text("hello")

    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    login(page, school_a.admin.user.username, PASSWORD)
    page.get_by_role("link", name="Face recognition").click()
    page.get_by_role("button", name="Turn face recognition on").click()
    expect(page.get_by_text("Face recognition is now on.")).to_be_visible()

    student = school_a.student
    page.get_by_role("row", name=student.family_name).get_by_role("link", name="Enrol").click()
    page.get_by_label("Given by").fill("Jane Doe (mother)")
    page.get_by_label("Date given").fill("2026-09-01")
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("Active consent given by")).to_be_visible()

    page.get_by_label("Upload photos").set_input_files([*photos, group])
    page.get_by_role("button", name="Upload", exact=True).click()
    results = page.get_by_role("list", name="Upload results")
    expect(results.get_by_text("Accepted.")).to_have_count(3)
    expect(results.get_by_text("not-a-photo.txt")).to_contain_text("not")
    expect(page.get_by_role("img")).to_have_count(3)

    page.get_by_role("link", name="Face recognition").click()
    # The page polls the status: with a worker, the build may still be running when it opens.
    expect(page.locator('[data-field="photos"]')).to_have_text("3", timeout=60_000)
    expect(page.locator('[data-field="students"]')).to_have_text("1")
    page.screenshot(path=f"{artefacts_dir}/model-ready.png", full_page=True)

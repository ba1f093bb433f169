"""A school admin sets up a class in the browser; the teacher sees it; school B cannot."""

import pytest
from playwright.sync_api import expect

from accounts.scoping import organisation_scope
from records.models import SchoolClass
from tests.factories import PASSWORD, TeacherAssignmentFactory

pytestmark = pytest.mark.browser


def test_admin_sets_up_a_class_and_the_teacher_sees_it(
    live_server, browser, login, school_a, school_b, artefacts_dir
):
    context = browser.new_context()
    page = context.new_page()
    login(page, school_a.admin.user.username, PASSWORD)

    page.get_by_role("button", name="New class").first.click()
    page.get_by_label("Name").fill("9Z Physics")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="9Z Physics")).to_be_visible()
    class_url = page.url

    page.get_by_role("link", name="Students", exact=True).click()
    page.get_by_role("button", name="New student").click()
    page.get_by_label("Given name").fill("Rosalind")
    page.get_by_label("Family name").fill("Franklin")
    page.get_by_label("Student number").fill("RF-51")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Rosalind Franklin")).to_be_visible()

    page.goto(class_url)
    page.locator("#id_student").select_option(label="Rosalind Franklin (RF-51)")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("link", name="Franklin, Rosalind")).to_be_visible()
    page.locator("#id_teacher").select_option(label=school_a.teacher.user.get_full_name())
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("now teaches 9Z Physics")).to_be_visible()
    page.screenshot(path=f"{artefacts_dir}/admin-class.png", full_page=True)
    context.close()

    teacher = browser.new_context()
    page = teacher.new_page()
    login(page, school_a.teacher.user.username, PASSWORD)
    expect(page.get_by_role("link", name="9Z Physics")).to_be_visible()
    page.get_by_role("link", name="9Z Physics").click()
    expect(page.get_by_role("link", name="Franklin, Rosalind")).to_be_visible()
    page.screenshot(path=f"{artefacts_dir}/teacher-class.png", full_page=True)
    teacher.close()

    outsider = browser.new_context()
    page = outsider.new_page()
    login(page, school_b.admin.user.username, PASSWORD)
    response = page.goto(class_url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert "9Z Physics" not in page.content()
    outsider.close()

    with organisation_scope(school_a.organisation):
        new_class = SchoolClass.objects.get(name="9Z Physics")
        assert new_class.students.get().student_number == "RF-51"


def test_a_teacher_does_not_see_classes_they_do_not_teach(live_server, browser, login, school_a):
    other = TeacherAssignmentFactory(
        school_class__organisation=school_a.organisation, school_class__name="Someone else's class"
    )
    assert other.organisation == school_a.organisation
    context = browser.new_context()
    page = context.new_page()
    login(page, school_a.teacher.user.username, PASSWORD)
    expect(page.get_by_role("link", name=school_a.school_class.name)).to_be_visible()
    expect(page.get_by_text("Someone else's class")).to_have_count(0)
    context.close()

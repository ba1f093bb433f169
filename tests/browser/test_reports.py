"""In Chromium: an admin corrects a record with a reason from the student's page, a register
report draws its chart (Chart.js from our static files), and its CSV downloads."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.scoping import organisation_scope
from records.models import AttendanceChange, AttendanceRecord, SessionStatus
from tests.factories import PASSWORD, AttendanceRecordFactory, ClassSessionFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def last_week(school_a, school_b):
    """Three closed sessions of school A's class in the last week, one record each."""
    sessions = []
    for days_ago, status in ((6, "present"), (4, "late"), (2, "absent")):
        opened = timezone.now() - timedelta(days=days_ago)
        session = ClassSessionFactory(
            school_class=school_a.school_class,
            opened_by=school_a.teacher,
            opened_at=opened,
            closed_at=opened + timedelta(hours=1),
            status=SessionStatus.CLOSED,
        )
        AttendanceRecordFactory(session=session, student=school_a.student, status=status)
        sessions.append(session)
    return sessions


def test_admin_corrects_a_record_with_a_reason_from_the_student_page(
    live_server, browser, login, school_a, last_week, artefacts_dir
):
    session = last_week[-1]
    context = browser.new_context()
    page = context.new_page()
    login(page, school_a.admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/students/{school_a.student.public_id}/")
    row = page.locator(f"#session-{session.public_id}")
    row.get_by_label("Status").select_option("excused")
    row.get_by_label("Reason").fill("Doctor's note")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Excused.")).to_be_visible()
    expect(page.locator(f"#session-{session.public_id}")).to_contain_text("“Doctor's note”")
    page.screenshot(path=f"{artefacts_dir}/student-correction.png", full_page=True)
    context.close()
    with organisation_scope(school_a.organisation):
        record = AttendanceRecord.objects.get(session=session, student=school_a.student)
        assert (record.status, record.excuse_reason) == ("excused", "Doctor's note")
        change = AttendanceChange.objects.filter(record=record).latest("changed_at")
        assert (change.old_status, change.reason) == ("absent", "Doctor's note")


def test_the_register_report_draws_its_chart_and_downloads_its_csv(
    live_server, browser, login, school_a, last_week, artefacts_dir
):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, school_a.teacher.user.username, PASSWORD)
    page.goto(f"{live_server.url}/reports/classes/{school_a.school_class.public_id}/")
    expect(
        page.get_by_role("heading", name=f"{school_a.school_class.name} · register")
    ).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    chart = page.evaluate(
        """() => {
          const canvas = document.querySelector('canvas[data-chart]');
          const chart = Chart.getChart(canvas);
          return {points: chart.data.datasets[0].data, width: canvas.width, height: canvas.height};
        }"""
    )
    assert chart["points"] == [100, 100, 0]
    assert chart["width"] > 0
    assert chart["height"] > 0
    page.screenshot(path=f"{artefacts_dir}/register-report.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Register CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("register-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Student number", "Family name", "Given name"]
    assert rows[1][0] == school_a.student.student_number
    assert rows[1][3:6] == ["present", "late", "absent"]
    context.close()

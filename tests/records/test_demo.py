"""`make run`'s demo: two schools to log in to, and three weeks of registers in the first, so
every report has something to show on the first visit."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from accounts.scoping import organisation_scope
from records.demo import DEMO_PASSWORD, HISTORY_SCHOOL_DAYS, demo_create
from records.models import AttendanceChange, AttendanceRecord, ClassSession
from records.reports import school_summary


def test_the_demo_school_has_three_weeks_of_closed_registers_and_the_other_school_none(db):
    created, logins = demo_create()
    assert created
    assert [username for username, _ in logins] == [
        "demo-admin",
        "demo-teacher",
        "demo-teacher2",
        "other-admin",
    ]
    demo = Organisation.objects.get(slug="demo-school")
    other = Organisation.objects.get(slug="other-school")
    with organisation_scope(demo):
        sessions = ClassSession.objects.all()
        assert sessions.count() == HISTORY_SCHOOL_DAYS * 3
        assert not sessions.filter(status="open").exists()
        assert all(session.opened_at.weekday() < 5 for session in sessions)
        first = min(session.opened_at for session in sessions)
        summary = school_summary(
            organisation=demo,
            start=first.date(),
            end=(timezone.now() + timedelta(days=1)).date(),
        )
        # Everyone on the 25-student roster has a status in every past lesson.
        assert summary.totals.recorded == HISTORY_SCHOOL_DAYS * 25
        assert summary.totals.present > summary.totals.late > 0
        assert summary.totals.absent > 0
        # Written through the services: every record has its audit row.
        assert AttendanceChange.objects.count() == AttendanceRecord.objects.count()
    with organisation_scope(other):
        assert not ClassSession.objects.exists()


def test_running_the_demo_again_changes_nothing(db):
    demo_create()
    with organisation_scope(Organisation.objects.get(slug="demo-school")):
        before = AttendanceRecord.objects.count()
    created, _ = demo_create()
    assert not created
    with organisation_scope(Organisation.objects.get(slug="demo-school")):
        assert AttendanceRecord.objects.count() == before


def test_the_demo_admin_sees_the_history_in_the_school_report(db):
    demo_create()
    client = Client()
    assert client.login(username="demo-admin", password=DEMO_PASSWORD)
    page = client.get("/reports/school/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("7A", "7B", "8C"):
        assert name in html
    assert "Year 9" not in html  # Other School's class
    assert page.context["summary"].totals.rate > 0.8

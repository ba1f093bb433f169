"""A session of school A's class opened at a fixed school time, with school B always around."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.scoping import organisation_scope
from records import services

LONDON = ZoneInfo("Europe/London")
# A Monday in term, 08:30 in the school's time zone (the factories' schools are in London).
OPENED = datetime(2026, 3, 2, 8, 30, tzinfo=LONDON)


def minutes_after_opening(minutes: float) -> datetime:
    return OPENED + timedelta(minutes=minutes)


@pytest.fixture
def clock(time_machine):
    """The clock stands still at the session's opening unless a test moves it."""
    time_machine.move_to(OPENED, tick=False)
    return time_machine


@pytest.fixture
def scope_a(school_a, school_b):
    """Inside school A, as an entry point would be; school B's objects exist all the same."""
    with organisation_scope(school_a.organisation):
        yield school_a


@pytest.fixture
def session_a(school_a, school_b, clock):
    with organisation_scope(school_a.organisation):
        session, _ = services.session_open(
            school_class=school_a.school_class, opened_by=school_a.teacher
        )
    return session


@pytest.fixture
def session_b(school_b, clock):
    with organisation_scope(school_b.organisation):
        session, _ = services.session_open(
            school_class=school_b.school_class, opened_by=school_b.admin
        )
    return session

"""Every check-in reaches the teacher's session page and the admin's dashboard at once, and
nobody else: sockets join only the groups their user may see."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from accounts.scoping import organisation_scope
from attendance_project.routing import websocket_urlpatterns
from records import services
from records.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

ANON, TEACHER_A, ADMIN_A, ADMIN_B = "anonymous", "teacher_a", "admin_a", "admin_b"
OPEN = "open"


def _open_session(school):
    with organisation_scope(school.organisation):
        session, _ = services.session_open(
            school_class=school.school_class, opened_by=school.teacher or school.admin
        )
    return session


def _mark(school, session, student):
    with organisation_scope(school.organisation):
        return services.attendance_mark(
            session=session, student=student, source="manual", actor=school.admin.user
        )[0]


# route name: (path from school A's session, {role: OPEN or the close code})
WS_MATRIX = {
    "ws_live_organisation": (
        lambda session: "/ws/live/",
        {ANON: CLOSE_UNAUTHENTICATED, TEACHER_A: CLOSE_FORBIDDEN, ADMIN_A: OPEN, ADMIN_B: OPEN},
    ),
    "ws_live_session": (
        lambda session: f"/ws/sessions/{session.public_id}/live/",
        {ANON: CLOSE_UNAUTHENTICATED, TEACHER_A: OPEN, ADMIN_A: OPEN, ADMIN_B: CLOSE_NOT_FOUND},
    ),
}


def test_every_websocket_route_has_a_row_in_the_matrix():
    assert {route.name for route in websocket_urlpatterns} >= set(WS_MATRIX)
    assert {route.name for route in websocket_urlpatterns} - set(WS_MATRIX) <= {"ws_camera"}


@pytest.mark.parametrize("role", [ANON, TEACHER_A, ADMIN_A, ADMIN_B])
@pytest.mark.parametrize("name", sorted(WS_MATRIX))
async def test_websocket_permission_matrix(name, role, school_a, school_b, connect):
    session = await sync_to_async(_open_session)(school_a)
    path, expected = WS_MATRIX[name]
    membership = {
        ANON: None,
        TEACHER_A: school_a.teacher,
        ADMIN_A: school_a.admin,
        ADMIN_B: school_b.admin,
    }[role]
    socket = await connect(path(session), membership)
    message = await socket.receive_output(timeout=5)
    if expected[role] == OPEN:
        assert message["type"] == "websocket.send"
    else:
        assert message == {"type": "websocket.close", "code": expected[role]}


async def test_a_check_in_reaches_the_session_page_and_the_dashboard(school_a, school_b, connect):
    session = await sync_to_async(_open_session)(school_a)
    teacher = await connect(f"/ws/sessions/{session.public_id}/live/", school_a.teacher)
    dashboard = await connect("/ws/live/", school_a.admin)
    outsider = await connect("/ws/live/", school_b.admin)
    for socket in (teacher, dashboard, outsider):
        assert (await socket.receive_json_from(timeout=5))["type"] == "hello"

    await sync_to_async(_mark)(school_a, session, school_a.student)

    for socket in (teacher, dashboard):
        event = await socket.receive_json_from(timeout=5)
        assert event["type"] == "attendance"
        assert event["student"] == str(school_a.student.public_id)
        assert event["session"] == str(session.public_id)
        assert event["status"] in {"present", "late"}
    assert await outsider.receive_nothing(timeout=0.5)


async def test_another_schools_check_in_never_reaches_school_a(school_a, school_b, connect):
    session_b = await sync_to_async(_open_session)(school_b)
    dashboard = await connect("/ws/live/", school_a.admin)
    assert (await dashboard.receive_json_from(timeout=5))["type"] == "hello"
    await sync_to_async(_mark)(school_b, session_b, school_b.student)
    assert await dashboard.receive_nothing(timeout=0.5)


async def test_closing_a_session_is_announced(school_a, school_b, connect):
    session = await sync_to_async(_open_session)(school_a)
    dashboard = await connect("/ws/live/", school_a.admin)
    await dashboard.receive_json_from(timeout=5)

    def close():
        with organisation_scope(school_a.organisation):
            services.session_close(session=session, closed_by=school_a.admin)

    await sync_to_async(close)()
    events = []
    while not await dashboard.receive_nothing(timeout=0.5):
        events.append(await dashboard.receive_json_from())
    assert events == [
        {
            "type": "session",
            "session": str(session.public_id),
            "class": session.school_class.name,
            "status": "closed",
        }
    ]


def test_a_reconnecting_page_reads_the_current_state(school_a, school_b, client_for):
    session = _open_session(school_a)
    _mark(school_a, session, school_a.student)
    state = client_for(school_a.teacher).get(f"/sessions/{session.public_id}/state.json").json()
    assert state["status"] == "open"
    assert state["counts"]["not_yet"] == 0
    [student] = state["students"]
    assert student["student"] == str(school_a.student.public_id)
    assert student["status"] in {"present", "late"}
    assert (
        client_for(school_b.admin).get(f"/sessions/{session.public_id}/state.json").status_code
        == 404
    )


def test_the_dashboard_state_lists_todays_sessions_with_counts(
    school_a, school_b, client_for, django_assert_max_num_queries
):
    session = _open_session(school_a)
    _mark(school_a, session, school_a.student)
    _open_session(school_b)
    client = client_for(school_a.admin)
    client.get("/today.json")  # warm the session and membership caches
    with django_assert_max_num_queries(6):
        state = client.get("/today.json").json()
    [today] = state["sessions"]
    assert today["session"] == str(session.public_id)
    assert today["counts"]["enrolled"] == 1
    assert today["counts"]["present"] + today["counts"]["late"] == 1
    assert [c["student"] for c in state["check_ins"]] == [str(school_a.student.public_id)]


async def test_a_socket_left_idle_longer_than_the_layers_wait_still_gets_check_ins(
    school_a, school_b, connect
):
    """A classroom dashboard sits idle for minutes; channels_redis waits on Redis in 5 s blocks
    and the socket must survive them (redis-py's default 5 s read timeout killed it)."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the in-memory layer does not wait on a socket")
    session = await sync_to_async(_open_session)(school_a)
    dashboard = await connect("/ws/live/", school_a.admin)
    assert (await dashboard.receive_json_from(timeout=5))["type"] == "hello"

    assert await dashboard.receive_nothing(timeout=7, interval=0.5)  # past a 5 s wait on Redis
    await sync_to_async(_mark)(school_a, session, school_a.student)

    event = await dashboard.receive_json_from(timeout=5)
    assert event["type"] == "attendance"
    assert event["student"] == str(school_a.student.public_id)


def test_the_dashboard_stream_holds_only_todays_sessions_not_registers_written_today(
    school_a, school_b, client_for
):
    """A register of last week entered or corrected today is not today's attendance."""
    with organisation_scope(school_a.organisation):
        last_week, _ = services.session_open(
            school_class=school_a.school_class,
            opened_by=school_a.teacher,
            at=timezone.now() - timedelta(days=7),
        )
        services.attendance_mark(
            session=last_week,
            student=school_a.student,
            source="manual",
            actor=school_a.admin.user,
            at=last_week.opened_at,
        )
        services.session_close(session=last_week, closed_by=school_a.teacher)
    today = _open_session(school_a)
    _mark(school_a, today, school_a.student)

    state = client_for(school_a.admin).get("/today.json").json()
    assert [c["session"] for c in state["check_ins"]] == [str(today.public_id)]


@pytest.mark.parametrize("path", ["/ws/live/", "session"])
async def test_a_ping_is_answered_with_a_pong_and_anything_else_ignored(
    path, school_a, school_b, connect
):
    """The pages' heartbeat: a connection gone silent (no close, no answer) is noticed when the
    pong does not come."""
    session = await sync_to_async(_open_session)(school_a)
    path = f"/ws/sessions/{session.public_id}/live/" if path == "session" else path
    socket = await connect(path, school_a.admin)
    outsider = await connect("/ws/live/", school_b.admin)
    for listener in (socket, outsider):
        assert (await listener.receive_json_from(timeout=5))["type"] == "hello"

    await socket.send_json_to({"type": "subscribe", "group": "anything"})
    await socket.send_json_to(["ping"])
    assert await socket.receive_nothing(timeout=0.5)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    assert await socket.receive_nothing(timeout=0.5)
    assert await outsider.receive_nothing(timeout=0.1)  # a pong only to whom pinged

    await sync_to_async(_mark)(school_a, session, school_a.student)  # still listening
    assert (await socket.receive_json_from(timeout=5))["type"] == "attendance"

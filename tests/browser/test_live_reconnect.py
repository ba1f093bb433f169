"""The network drops under a live class session (the server process is killed, or the connection
goes silent without closing): the teacher's session page and the admins' dashboards say they are
reconnecting, come back by themselves when the server does, and show what happened meanwhile,
read from the database: nothing lost, nothing twice, nothing of the other school."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from playwright.sync_api import expect

from accounts.scoping import organisation_scope
from records import services
from records.models import AttendanceSource
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.servers import (
    SilentProxy,
    log_in,
    require_postgresql_and_redis,
    server_env,
    server_password,
    start_all,
)
from tests.factories import EnrollmentFactory
from tests.processes import Daphne

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

LIVE, RECONNECTING = "live", "reconnecting…"
# live.js retries after 0.5, 1, 2, 4, 8, then every 10 s: a restart is noticed within 10 s.
BACK_LIVE = 15_000


@pytest.fixture
def server(transactional_db, private_root, tmp_path):
    """One ASGI process (daphne) on the test database and the Redis channel layer."""
    require_postgresql_and_redis()
    daphne = Daphne(env=server_env(private_root), log=tmp_path / "server.log")
    start_all([daphne])
    yield daphne
    daphne.stop()
    print("--- server ---\n" + daphne.log_tail())  # shown by pytest when the test fails


def _open_session(school):
    with organisation_scope(school.organisation):
        return services.session_open(
            school_class=school.school_class, opened_by=school.teacher or school.admin
        )[0]


def _mark(school, session, student) -> None:
    """A mark by hand through the records service, in a thread of its own: the Playwright sync
    API keeps an event loop in the test's thread, where async_to_sync (the broadcast sent on
    commit) refuses to run."""

    def mark():
        try:
            with organisation_scope(school.organisation):
                services.attendance_mark(
                    session=session,
                    student=student,
                    source=AttendanceSource.MANUAL,
                    actor=school.admin.user,
                )
        finally:
            connections.close_all()  # this thread's connection only

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(mark).result()


# Counts the JSON bodies a page has read (and handled: the count rises in the task after the
# reader's code ran), so a test can wait until a response it released has been applied.
COUNT_JSON_READ = """
window.jsonRead = 0;
const json = Response.prototype.json;
Response.prototype.json = function () {
  return json.call(this).then((body) => {
    setTimeout(() => { window.jsonRead += 1; });
    return body;
  });
};
"""


def _page(browser, server, membership, path, scripts=()):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    for script in (COUNT_JSON_READ, *scripts):
        context.add_init_script(script)
    page = context.new_page()
    log_in(page, server.url, membership.user.username)
    if path != "/":
        page.goto(f"{server.url}{path}")
    return page


def _status(page):
    return page.locator("[data-live-status]")


def _feed(page, student=None):
    items = page.locator("#check-ins li[data-student]")
    return items if student is None else page.locator(f'#check-ins li[data-student="{student}"]')


def _each_school_sees_its_own_check_in_once(admin, outsider, school_a_mark, school_b_mark):
    """School A's dashboard shows its one check-in once and nothing of school B; and back."""
    (session_a, student_a), (session_b, student_b) = school_a_mark, school_b_mark
    expect(_feed(admin, student_a.public_id)).to_have_count(1)
    expect(_feed(admin)).to_have_count(1)
    expect(_feed(outsider, student_b.public_id)).to_have_count(1, timeout=BACK_LIVE)
    expect(_feed(outsider)).to_have_count(1)
    expect(admin.locator(f'tr[data-session="{session_b.public_id}"]')).to_have_count(0)
    expect(outsider.locator(f'tr[data-session="{session_a.public_id}"]')).to_have_count(0)
    expect(admin.locator("#check-ins")).not_to_contain_text(student_b.full_name)
    expect(outsider.locator("#check-ins")).not_to_contain_text(student_a.full_name)


def test_pages_reconnect_after_a_network_drop_and_show_each_check_in_once(
    server, browser, school_a, school_b, artefacts_dir
):
    first = school_a.student
    second, third = (
        EnrollmentFactory(school_class=school_a.school_class).student for _ in range(2)
    )
    session = _open_session(school_a)
    session_b = _open_session(school_b)
    server_password(school_a.teacher, school_a.admin, school_b.admin)

    teacher = _page(browser, server, school_a.teacher, f"/sessions/{session.public_id}/")
    admin = _page(browser, server, school_a.admin, "/")
    outsider = _page(browser, server, school_b.admin, "/")
    pages = {"teacher": teacher, "admin": admin, "outsider": outsider}
    for page in pages.values():
        expect(_status(page)).to_have_text(LIVE, timeout=BACK_LIVE)

    def row(student):
        return teacher.locator(f'tr[data-student="{student.public_id}"]')

    def count(name):
        return teacher.locator(f'#session-counts [data-count="{name}"]')

    def dashboard_count(page, name):
        return page.locator(f'tr[data-session="{session.public_id}"] [data-count="{name}"]')

    # The drop: no close frame reaches the pages, the port refuses every retry.
    started = time.monotonic()
    server.kill()
    for page in pages.values():
        expect(_status(page)).to_have_text(RECONNECTING, timeout=5_000)
    _mark(school_a, session, first)
    _mark(school_b, session_b, school_b.student)
    for name, page in pages.items():
        page.screenshot(path=f"{artefacts_dir}/reconnect-{name}-down.png", full_page=True)
    expect(row(first)).to_have_attribute("data-state", "not_yet")  # nothing can arrive now

    server.start()
    server.wait_until_listening(time.monotonic() + 30)
    for page in pages.values():
        expect(_status(page)).to_have_text(LIVE, timeout=BACK_LIVE)
    back_after = time.monotonic() - started

    # Re-synced from the database: the mark made during the drop is there, once.
    expect(row(first)).to_have_attribute("data-state", "present")
    expect(row(second)).to_have_attribute("data-state", "not_yet")
    expect(count("present")).to_have_text("1")
    expect(count("not_yet")).to_have_text("2")
    expect(dashboard_count(admin, "present")).to_have_text("1")
    _each_school_sees_its_own_check_in_once(
        admin, outsider, (session, first), (session_b, school_b.student)
    )

    # A check-in after the reconnect arrives live, once, beside the re-synced one.
    _mark(school_a, session, second)
    expect(row(second)).to_have_attribute("data-state", "present")
    expect(count("present")).to_have_text("2")
    expect(count("not_yet")).to_have_text("1")
    expect(row(third)).to_have_attribute("data-state", "not_yet")
    # The dashboard's counts come from its batched re-read: after it, the stream is final.
    expect(dashboard_count(admin, "present")).to_have_text("2")
    expect(_feed(admin, second.public_id)).to_have_count(1)
    expect(_feed(admin, first.public_id)).to_have_count(1)
    expect(_feed(admin)).to_have_count(2)
    expect(_feed(admin).first).to_contain_text(second.full_name)  # newest first
    expect(_feed(outsider)).to_have_count(1)
    expect(outsider.locator("#check-ins")).not_to_contain_text(second.full_name)
    for name, page in pages.items():
        page.screenshot(path=f"{artefacts_dir}/reconnect-{name}-after.png", full_page=True)
    for page in pages.values():
        expect(_status(page)).to_have_text(LIVE)
        page.context.close()
    assert back_after < 20, f"the pages took {back_after:.1f} s to come back"


def _hold_first(page, url_glob):
    """Holds the page's first request to `url_glob` until released; lets later ones through."""
    held = []

    def handle(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(url_glob, handle)
    return held


def _until(page, condition, timeout=BACK_LIVE / 1000):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)  # lets Playwright deliver routes and events meanwhile


def test_a_check_in_arriving_while_a_page_re_reads_the_state_is_not_undone_by_it(
    server, browser, school_a, school_b, artefacts_dir
):
    """The re-read after a reconnect can answer with the state of a moment ago, after the event
    of a newer check-in has reached the page: that older answer must not win."""
    first = school_a.student
    second = EnrollmentFactory(school_class=school_a.school_class).student
    session = _open_session(school_a)
    session_b = _open_session(school_b)
    server_password(school_a.teacher, school_a.admin)
    teacher = _page(browser, server, school_a.teacher, f"/sessions/{session.public_id}/")
    admin = _page(browser, server, school_a.admin, "/")
    pages = {"teacher": teacher, "admin": admin}
    for page in pages.values():
        expect(_status(page)).to_have_text(LIVE, timeout=BACK_LIVE)

    server.kill()
    for page in pages.values():
        expect(_status(page)).to_have_text(RECONNECTING, timeout=5_000)
    _mark(school_a, session, first)
    held = {
        "teacher": _hold_first(teacher, "**/state.json"),
        "admin": _hold_first(admin, "**/today.json"),
    }
    server.start()
    server.wait_until_listening(time.monotonic() + 30)
    # The pages re-read once their socket has joined its group (the consumer's hello): from
    # then on, every check-in reaches them as an event.
    _until(teacher, lambda: all(held.values()))
    # The state is read now (the first student present, the second not yet) but not yet shown ...
    stale = {name: routes[0].fetch() for name, routes in held.items()}
    # ... when the second student is checked in, and the event reaches both pages.
    _mark(school_a, session, second)
    _mark(school_b, session_b, school_b.student)
    row = teacher.locator(f'tr[data-student="{second.public_id}"]')
    expect(row).to_have_attribute("data-state", "present")
    expect(_feed(admin, second.public_id)).to_have_count(1)

    for name, page in pages.items():
        read = page.evaluate("window.jsonRead")
        held[name][0].fulfill(response=stale[name])
        page.wait_for_function(f"window.jsonRead > {read}")
    for page in pages.values():
        expect(_status(page)).to_have_text(LIVE)
    expect(row).to_have_attribute("data-state", "present")
    expect(teacher.locator('#session-counts [data-count="present"]')).to_have_text("2")
    expect(teacher.locator('#session-counts [data-count="not_yet"]')).to_have_text("0")
    expect(
        admin.locator(f'tr[data-session="{session.public_id}"] [data-count="present"]')
    ).to_have_text("2")
    expect(_feed(admin, first.public_id)).to_have_count(1)
    expect(_feed(admin, second.public_id)).to_have_count(1)
    expect(_feed(admin)).to_have_count(2)
    expect(admin.locator("#check-ins")).not_to_contain_text(school_b.student.full_name)
    for name, page in pages.items():
        page.screenshot(path=f"{artefacts_dir}/reconnect-race-{name}.png", full_page=True)
        page.context.close()


# Every text the live status has shown, and the page's WebSockets opened and closed: a moment of
# "reconnecting…" is seen even when it is over before a test looks.
SOCKET_LOG = """
window.statusLog = [];
window.sockets = { opened: 0, closed: 0 };
window.closedSockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.sockets.opened += 1;
    this.addEventListener("close", () => {
      window.sockets.closed += 1;
      window.closedSockets.push(new URL(this.url).pathname);
    });
  }
};
document.addEventListener("DOMContentLoaded", () => {
  const badge = document.querySelector("[data-live-status]");
  if (!badge) return;
  new MutationObserver(() => {
    if (window.statusLog.at(-1) !== badge.textContent) window.statusLog.push(badge.textContent);
  }).observe(badge, { childList: true, characterData: true, subtree: true });
});
"""
HEARTBEAT = "window.LIVE_HEARTBEAT_MS = 1000;"  # a ping a second, a second to answer it
NO_HEARTBEAT = "window.LIVE_HEARTBEAT_MS = 2000000000;"  # under setInterval's limit: never


@pytest.fixture
def proxy(server):
    """The network between the browser and the server, that can go silent."""
    proxy = SilentProxy(server.port)
    proxy.start()
    yield proxy
    proxy.stop()


def test_pages_notice_a_connection_gone_silent_by_their_heartbeat_and_show_each_check_in_once(
    server, proxy, browser, school_a, school_b, artefacts_dir
):
    """The network goes without closing anything (Wi-Fi gone, a NAT that forgot the mapping):
    the proxy keeps every connection open at both ends and drops what passes, so no `close`
    reaches a page and the server's events vanish. Only the heartbeat notices: a ping that gets
    no answer. A dashboard without it (the control) goes on saying "live" and misses the check-in
    until the connection finally closes. When the network comes back, old connections stay dead
    and new ones work: the pages reconnect and re-read what they missed."""
    first = school_a.student
    second = EnrollmentFactory(school_class=school_a.school_class).student
    session = _open_session(school_a)
    session_b = _open_session(school_b)
    server_password(school_a.teacher, school_a.admin, school_b.admin)
    path = f"/sessions/{session.public_id}/"
    teacher = _page(browser, proxy, school_a.teacher, path, [HEARTBEAT, SOCKET_LOG])
    admin = _page(browser, proxy, school_a.admin, "/", [HEARTBEAT, SOCKET_LOG])
    outsider = _page(browser, proxy, school_b.admin, "/", [HEARTBEAT, SOCKET_LOG])
    control = _page(browser, proxy, school_a.admin, "/", [NO_HEARTBEAT, SOCKET_LOG])
    watched = {"teacher": teacher, "admin": admin, "outsider": outsider}
    pages = {**watched, "control": control}
    for page in pages.values():
        expect(_status(page)).to_have_text(LIVE, timeout=BACK_LIVE)
        assert page.evaluate("window.sockets") == {"opened": 1, "closed": 0}

    row = teacher.locator(f'tr[data-student="{first.public_id}"]')

    def count(name):
        return teacher.locator(f'#session-counts [data-count="{name}"]')

    def dashboard_count(page, name):
        return page.locator(f'tr[data-session="{session.public_id}"] [data-count="{name}"]')

    # The network goes: every connection so far goes silent; new ones wait for it to come back.
    silenced = proxy.go_silent(hold_new=True)
    started = time.monotonic()
    for page in watched.values():
        expect(_status(page)).to_have_text(RECONNECTING, timeout=5_000)
    noticed_after = time.monotonic() - started
    # Nothing closed: the server did not, and no page had a `close` event; the pages noticed by
    # the pings left unanswered (and close their end now, which goes unanswered too).
    assert [link for link in silenced if link.closed_by == "server"] == []
    for page in pages.values():
        assert page.evaluate("window.sockets.closed") == 0
    _mark(school_a, session, first)
    _mark(school_b, session_b, school_b.student)
    for name, page in pages.items():
        page.screenshot(path=f"{artefacts_dir}/silent-{name}-down.png", full_page=True)
    expect(row).to_have_attribute("data-state", "not_yet")  # nothing can arrive now
    expect(_feed(admin)).to_have_count(0)
    expect(_status(control)).to_have_text(LIVE)  # without a heartbeat: "live", and blind

    proxy.release()
    for page in watched.values():
        expect(_status(page)).to_have_text(LIVE, timeout=BACK_LIVE)
    back_after = time.monotonic() - started

    # Re-read from the database: the check-in made while the network was gone is there, once.
    # (The drop left the browser's pooled HTTP connections silent too: a re-read sent on one is
    # given up after a second and sent again, so it may take a few seconds.)
    expect(row).to_have_attribute("data-state", "present", timeout=BACK_LIVE)
    expect(count("present")).to_have_text("1")
    expect(count("not_yet")).to_have_text("1")
    expect(dashboard_count(admin, "present")).to_have_text("1", timeout=BACK_LIVE)
    _each_school_sees_its_own_check_in_once(
        admin, outsider, (session, first), (session_b, school_b.student)
    )

    # A check-in now arrives live on the new connections, once; the control still hears nothing.
    _mark(school_a, session, second)
    expect(teacher.locator(f'tr[data-student="{second.public_id}"]')).to_have_attribute(
        "data-state", "present"
    )
    expect(count("present")).to_have_text("2")
    expect(count("not_yet")).to_have_text("0")
    expect(dashboard_count(admin, "present")).to_have_text("2")
    expect(_feed(admin, second.public_id)).to_have_count(1)
    expect(_feed(admin)).to_have_count(2)
    expect(_feed(outsider)).to_have_count(1)
    expect(_status(control)).to_have_text(LIVE)
    expect(_feed(control)).to_have_count(0)
    for name, page in pages.items():
        page.screenshot(path=f"{artefacts_dir}/silent-{name}-after.png", full_page=True)

    # At last the dead connections close (a TCP stack gives up). The control notices only now,
    # and catches up; the abandoned sockets' late close starts no second reconnect.
    assert control.evaluate("[window.sockets, window.statusLog]") == [
        {"opened": 1, "closed": 0},
        [LIVE],
    ]
    opened = {name: page.evaluate("window.sockets.opened") for name, page in watched.items()}
    proxy.cut(silenced)
    expect(_feed(control, first.public_id)).to_have_count(1, timeout=BACK_LIVE)  # re-read
    expect(_feed(control, second.public_id)).to_have_count(1)
    expect(_feed(control)).to_have_count(2)
    expect(_status(control)).to_have_text(LIVE)
    assert control.evaluate("window.statusLog") == [LIVE, RECONNECTING, LIVE]
    for page in watched.values():
        page.wait_for_function("window.sockets.closed >= 1")
    teacher.wait_for_timeout(1_500)  # past the first retry's delay (0.5 s)
    for name, page in watched.items():
        assert page.evaluate("window.sockets.opened") == opened[name], name
        assert page.evaluate("window.statusLog") == [LIVE, RECONNECTING, LIVE], name
        expect(_status(page)).to_have_text(LIVE)
    expect(_feed(admin)).to_have_count(2)
    expect(count("present")).to_have_text("2")
    expect(_feed(outsider)).to_have_count(1)
    for page in pages.values():
        page.context.close()
    assert noticed_after < 5, f"the pages took {noticed_after:.1f} s to notice"
    assert back_after < 20, f"the pages took {back_after:.1f} s to come back"


@pytest.fixture
def camera_browser(browser):
    """Chromium with a fake webcam (its test pattern: no faces, never twice the same frame)."""
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield camera
    camera.close()


def test_the_camera_notices_a_connection_gone_silent_and_reconnects(
    server, proxy, camera_browser, school_a, school_b, artefacts_dir
):
    """The camera sends frames into the silent connection and nothing comes back: no `close`,
    only silence. After about 10 s without an answer (a ping after 5 s got none either) it
    abandons the socket, says it is reconnecting, and watches again over a new connection; the
    old socket's late close starts no second one."""
    school_a.organisation.biometrics_enabled = True
    school_a.organisation.save()
    session = _open_session(school_a)
    server_password(school_a.teacher)
    path = f"/sessions/{session.public_id}/"
    teacher = _page(camera_browser, proxy, school_a.teacher, path, [HEARTBEAT, SOCKET_LOG])
    status = teacher.locator("[data-camera-status]")
    teacher.get_by_role("button", name="Start camera").click()
    expect(status).to_contain_text("watching", timeout=20_000)
    expect(_status(teacher)).to_have_text(LIVE)
    assert teacher.evaluate("window.sockets") == {"opened": 2, "closed": 0}  # feed, camera
    camera_closed = "window.closedSockets.filter((path) => path.endsWith('/camera/')).length"

    silenced = proxy.go_silent(hold_new=True)
    started = time.monotonic()
    expect(status).to_have_text(RECONNECTING, timeout=15_000)
    noticed_after = time.monotonic() - started
    assert [link for link in silenced if link.closed_by == "server"] == []
    assert teacher.evaluate(camera_closed) == 0
    teacher.screenshot(path=f"{artefacts_dir}/silent-camera-down.png", full_page=True)

    proxy.release()
    expect(status).to_contain_text("watching", timeout=BACK_LIVE)
    expect(_status(teacher)).to_have_text(LIVE, timeout=BACK_LIVE)
    reopened = teacher.evaluate("window.sockets.opened")
    teacher.screenshot(path=f"{artefacts_dir}/silent-camera-after.png", full_page=True)

    proxy.cut(silenced)
    teacher.wait_for_function(f"{camera_closed} >= 1")  # the abandoned socket's late close
    teacher.wait_for_timeout(1_500)  # past the camera's 1 s and the live feed's 0.5 s retry
    assert teacher.evaluate("window.sockets.opened") == reopened
    expect(status).to_contain_text("watching")
    expect(_status(teacher)).to_have_text(LIVE)
    teacher.get_by_role("button", name="Stop camera").click()
    expect(status).to_have_text("camera off")
    teacher.context.close()
    assert 9 < noticed_after < 13, f"the camera took {noticed_after:.1f} s to notice"

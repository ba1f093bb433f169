"""Live session figures (issue 6), measured with WebSocket clients on loopback against real daphne
processes of this project. Run by `make bench`; prints a table, and writes --json.

    .venv/bin/python tests/benchmarks/bench_live.py [--json FILE] [--sockets 1000]

1. frame sent -> check-in shown on an admin /ws/live/ conn, p50/p95 over >= 20 check-ins (and the
   camera's own "checked_in" reply); the admin socket is on a second server process with Redis;
2. frames/s one ASGI process sustains: cameras sending as fast as allowed (~2/s each), ~20 s;
3. 10 cameras x 2 frames/s for ~30 s: frames sent vs answered, reply latency, server RSS;
4. idle live-feed sockets one process holds (1,000 admin sockets) and the fan-out latency to them.

With DATABASE_URL and REDIS_URL set: PostgreSQL and the Redis channel layer, two server processes
(the database must be migrated). Without: a temporary SQLite file and the in-memory layer, so
everything runs in one server process. A throwaway school is seeded (recognition on, a class of 30
of whom 5 are enrolled with Yale photos from ../shared/faces through the services, a model built)
and deleted at the end, with its logins and their sessions.
"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")
_tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp / 'bench.sqlite3'}")
os.environ["PRIVATE_STORAGE_ROOT"] = str(_tmp / "private")
os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
FACES = Path(os.environ.get("FACES_DIR") or REPO.parent / "shared" / "faces")

import django  # noqa: E402

django.setup()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.management import call_command  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from accounts.models import Organisation, Role, User  # noqa: E402
from accounts.scoping import organisation_scope  # noqa: E402
from accounts.services import member_create  # noqa: E402
from attendance_project.celery import app as celery_app  # noqa: E402
from recognition import services as recognition_services  # noqa: E402
from recognition.engine.decode import decode_image  # noqa: E402
from recognition.engine.engines import get_engine  # noqa: E402
from recognition.engine.synthetic import compose_scene  # noqa: E402
from recognition.frames import analyse_frame  # noqa: E402
from recognition.serving import serving_model  # noqa: E402
from records import services as records_services  # noqa: E402
from records.models import ClassSession, SessionStatus  # noqa: E402
from tests.processes import Daphne  # noqa: E402

ENROLLED_SUBJECTS = (1, 2, 3, 4, 5)  # Yale subjects enrolled as students of the class
STRANGERS = (9, 10, 11)  # Yale subjects nobody enrolled
ENROL_CONDITIONS = ("noglasses", "happy", "sleepy", "surprised", "glasses")
PROBE = "wink"
CLASS_SIZE = 30
FRAME_GAP = 0.5  # the page sends about 2 frames a second; the server refuses faster than 0.45 s
TAGS = 64  # frames of the load tests differ in height (480 + tag): a reply names its frame
PARTS = ("check_in", "throughput", "ten_cameras", "sockets")
DJ = ThreadPoolExecutor(1, thread_name_prefix="django")  # the ORM never runs on the event loop


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))], 1)


def summary(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        "p50_ms": pct(values, 50),
        "p95_ms": pct(values, 95),
        "max_ms": round(max(values), 1) if values else None,
    }


async def dj(function, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(DJ, lambda: function(*args, **kwargs))


# ----------------------------------------------------------------------------- the school


class Bench:
    """The throwaway school, its logins and the frames shown to its cameras."""

    def __init__(self) -> None:
        slug = f"bench-live-{uuid.uuid4().hex[:8]}"
        self.organisation = Organisation.objects.create(
            name="Bench live", slug=slug, biometrics_enabled=True
        )
        self.users: list[int] = []
        self.session_keys: list[str] = []
        self.sessions: list[ClassSession] = []
        with organisation_scope(self.organisation):
            # member_create hashes with the production hasher (PBKDF2), as the server expects.
            self.admin = member_create(
                organisation=self.organisation,
                username=f"{slug}-admin",
                password=uuid.uuid4().hex,
                role=Role.ADMIN,
            )
            self.teacher = member_create(
                organisation=self.organisation,
                username=f"{slug}-teacher",
                password=uuid.uuid4().hex,
                role=Role.TEACHER,
            )
            self.users += [self.admin.user_id, self.teacher.user_id]
            self.school_class = records_services.school_class_create(
                organisation=self.organisation, name="Bench 7A"
            )
            records_services.teacher_assign(school_class=self.school_class, teacher=self.teacher)
            self.students = []
            for number in range(CLASS_SIZE):
                student = records_services.student_create(
                    organisation=self.organisation,
                    given_name="Student",
                    family_name=f"{number:02d}",
                    student_number=f"BL{number:03d}",
                )
                records_services.enrollment_create(school_class=self.school_class, student=student)
                self.students.append(student)
            # The first few are the Yale subjects, with consent and five photos each.
            self.by_subject = dict(zip(ENROLLED_SUBJECTS, self.students, strict=False))
            for subject, student in self.by_subject.items():
                recognition_services.consent_record(
                    student=student,
                    given_by="A parent",
                    given_on=student.created_at.date(),
                    evidence="bench",
                    recorded_by=self.admin,
                )
                for condition in ENROL_CONDITIONS:
                    recognition_services.face_photo_enrol(
                        student=student, data=_yale(subject, condition), uploaded_by=self.admin
                    )
            # Eager Celery has built it on commit; build here in case a request is left.
            recognition_services.face_model_build(organisation=self.organisation)
            self.model = serving_model(organisation=self.organisation)
        assert self.model is not None, "no face model was built"
        self.admin_cookie = self._cookie(self.admin.user)
        self.teacher_cookie = self._cookie(self.teacher.user)

    def _cookie(self, user: User) -> str:
        """A logged-in session written straight to the session store, as login() would."""
        store = SessionStore()
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        self.session_keys.append(store.session_key)
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    def new_session(self) -> ClassSession:
        """Close the class's open session (if any) and open a fresh one: every student unseen."""
        with organisation_scope(self.organisation):
            for session in ClassSession.objects.filter(
                school_class=self.school_class, status=SessionStatus.OPEN
            ):
                records_services.session_close(session=session, closed_by=self.teacher)
            session, _ = records_services.session_open(
                school_class=self.school_class, opened_by=self.teacher
            )
        self.sessions.append(session)
        return session

    def mark(self, session: ClassSession, student_index: int) -> None:
        """A committed mark written by this process (the broadcast goes through Redis)."""
        with organisation_scope(self.organisation):
            records_services.attendance_mark(
                session=session,
                student=self.students[student_index],
                source="manual",
                actor=self.admin.user,
            )

    def accepted(self, frame: bytes, subject: int) -> bool:
        """Does the built model accept this frame's one face as the subject's student?"""
        analysis = analyse_frame(frame)
        if len(analysis.faces) != 1:
            return False
        org = self.organisation
        [match] = self.model.index.query(
            analysis.embeddings,
            accept=org.accept_threshold,
            suggest=org.suggest_threshold,
            candidates={str(s.public_id) for s in self.by_subject.values()},
        )
        return match.decision == "accept" and match.label == str(self.by_subject[subject].public_id)

    def delete(self) -> None:
        self.organisation.delete()
        User.objects.filter(pk__in=self.users).delete()
        Session.objects.filter(session_key__in=self.session_keys).delete()
        if settings.REDIS_URL:  # the layer keeps group keys for a day; these groups are gone
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL)
            names = [f"org-{self.organisation.public_id.hex}"]
            names += [f"session-{s.public_id.hex}" for s in self.sessions]
            for name in names:
                for key in client.scan_iter(match=f"*group*{name}*"):
                    client.delete(key)


def _yale(subject: int, condition: str) -> bytes:
    return (FACES / "yale" / f"subject{subject:02d}" / f"{condition}.gif").read_bytes()


_portraits: dict[int, tuple] = {}


def scene(subject: int, seed: int, tag: int = 0) -> bytes:
    """A 640x(480+tag) classroom-like JPEG with one Yale face and sensor-like noise: no two
    seeds give the same bytes, as with a real camera."""
    if subject not in _portraits:
        image = decode_image(_yale(subject, PROBE))
        _portraits[subject] = (image, get_engine().detect(image)[0])
    rng = np.random.default_rng(seed)
    frame, _ = compose_scene([_portraits[subject]], size=(640, 480), face_heights=140, rng=rng)
    noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
    if tag:
        noisy = cv2.copyMakeBorder(noisy, 0, tag, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    return cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


# ----------------------------------------------------------------------------- the servers


def _many_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


class Server(Daphne):
    """A daphne process of the bench, allowed the file descriptors of 1,000 sockets and more."""

    def __init__(self, number: int, workers: int) -> None:
        super().__init__(
            env={**os.environ, "RECOGNITION_WORKERS": str(workers), "DEBUG": "true"},
            log=_tmp / f"server{number}.log",
            preexec_fn=_many_files,  # only setrlimit, then exec
        )
        self.start()

    def rss(self) -> dict[str, float]:
        """VmRSS of the daphne process and every process below it (the recognition pool)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            frontier = [pid for pid, parent in parents.items() if parent in frontier]
            tree += frontier
        sizes = {}
        for pid in tree:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1]) / 1024
        return {
            "asgi_mb": round(sizes.get(self.process.pid, 0.0), 1),
            "total_mb": round(sum(sizes.values()), 1),
            "processes": len(sizes),
        }


# ----------------------------------------------------------------------------- clients


async def ws(server: Server, path: str, cookie: str):
    return await connect(
        f"ws://127.0.0.1:{server.port}{path}",
        origin=server.url,
        additional_headers={"Cookie": cookie},
        ping_interval=None,  # daphne pings; the client answers
        compression=None,
        open_timeout=30,
        max_size=2**20,
    )


async def until(conn, kind: str, timeout: float = 20) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await conn.recv())
            if message["type"] == kind:
                return message


class AdminFeed:
    """One admin /ws/live/ socket noting when each check-in arrives."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.arrived: dict[tuple[str, str], float] = {}
        self.waiting: dict[tuple[str, str], asyncio.Future] = {}
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.conn:
                event = json.loads(raw)
                if event.get("type") == "attendance":
                    key = (event["session"], event["student"])
                    self.arrived[key] = time.perf_counter()
                    future = self.waiting.pop(key, None)
                    if future is not None and not future.done():
                        future.set_result(self.arrived[key])

    def expect(self, session: str, student: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if (session, student) in self.arrived:
            future.set_result(self.arrived[(session, student)])
        else:
            self.waiting[(session, student)] = future
        return future


class Pacer:
    """One camera's sends: never within FRAME_GAP of the last (the server would drop the frame
    unanswered), and resent when unanswered (a busy server can still see two frames too close)."""

    def __init__(self, camera) -> None:
        self.camera = camera
        self.last_sent = 0.0
        self.resent = 0

    async def show(self, frame: bytes, student: str) -> tuple[float, float | None] | None:
        """Send until the frame is answered: (sent, checked_in or None), or None if never."""
        for attempt in range(3):
            await asyncio.sleep(max(0.0, self.last_sent + FRAME_GAP - time.perf_counter()))
            sent = self.last_sent = time.perf_counter()
            await self.camera.send(frame)
            self.resent += attempt > 0
            checked_in = None
            try:
                async with asyncio.timeout(5):
                    while True:  # "checked_in" comes before the frame's own reply
                        message = json.loads(await self.camera.recv())
                        if message["type"] == "checked_in" and message["student"] == student:
                            checked_in = time.perf_counter()
                        if message["type"] == "frame":
                            return sent, checked_in
            except TimeoutError:
                continue
        return None


async def check_in_trials(bench, camera_server, rounds, pairs, feed: AdminFeed | None):
    """Each round a fresh session; each enrolled student shown in two different frames 0.5 s
    apart. Times from sending the confirming frame to the camera's "checked_in" and to the
    admin socket's "attendance" event."""
    camera_ms, admin_ms, misses, resent = [], [], 0, 0
    for _ in range(rounds):
        session = await dj(bench.new_session)
        session_id = str(session.public_id)
        camera = await ws(camera_server, f"/ws/sessions/{session_id}/camera/", bench.teacher_cookie)
        await until(camera, "ready")
        pacer = Pacer(camera)
        for subject, (first, second) in pairs.items():
            student = str(bench.by_subject[subject].public_id)
            if await pacer.show(first, student) is None:
                misses += 1
                continue
            shown = feed.expect(session_id, student) if feed else None
            answer = await pacer.show(second, student)
            if answer is None or answer[1] is None:
                misses += 1
                continue
            sent, checked_in = answer
            camera_ms.append((checked_in - sent) * 1e3)
            if shown is not None:
                try:
                    admin_ms.append((await asyncio.wait_for(shown, 10) - sent) * 1e3)
                except TimeoutError:
                    misses += 1
        resent += pacer.resent
        await camera.close()
    return {"camera_ms": camera_ms, "admin_ms": admin_ms, "misses": misses, "resent": resent}


class Camera:
    """A camera sending tagged frames at a fixed pace; replies are matched to frames by height."""

    def __init__(self, conn, frames: list[bytes], offset: int) -> None:
        self.conn, self.frames, self.offset = conn, frames, offset
        self.sent_at: dict[int, float] = {}
        self.sent = self.answered = self.errors = self.dropped = 0
        self.replies: list[float] = []  # arrival times
        self.latencies: list[float] = []
        self.analysis_ms: list[float] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.conn:
                message = json.loads(raw)
                now = time.perf_counter()
                if message["type"] == "frame":
                    self.answered += 1
                    self.replies.append(now)
                    self.dropped = message["dropped"]
                    self.analysis_ms.append(message["ms"])
                    sent = self.sent_at.pop(message["height"] - 480, None)
                    if sent is not None:
                        self.latencies.append((now - sent) * 1e3)
                elif message["type"] == "frame_error":
                    self.errors += 1

    async def run(self, seconds: float, gap: float, delay: float) -> None:
        await asyncio.sleep(delay)  # cameras are not in step
        start = time.perf_counter()
        number = 0
        while (now := time.perf_counter()) - start < seconds:
            index = (self.offset + number) % len(self.frames)
            self.sent_at[index] = now
            await self.conn.send(self.frames[index])
            self.sent += 1
            number += 1
            await asyncio.sleep(max(0.0, start + number * gap - time.perf_counter()))


async def cameras(server, bench, session, frames, count, seconds, gap):
    path = f"/ws/sessions/{session.public_id}/camera/"
    sockets = [await ws(server, path, bench.teacher_cookie) for _ in range(count)]
    for conn in sockets:
        await until(conn, "ready")
    group = [Camera(s, frames, offset=i * 7) for i, s in enumerate(sockets)]
    started = time.perf_counter()
    await asyncio.gather(*(c.run(seconds, gap, i * gap / count) for i, c in enumerate(group)))
    ended = time.perf_counter()
    await asyncio.sleep(3)  # the last frames in work
    for conn in sockets:
        await conn.close()
    return group, started, ended


# ----------------------------------------------------------------------------- the parts


async def part_check_in(bench, servers, pairs, wanted):
    feed_server = servers[-1]  # the second process when there are two
    feed_socket = await ws(feed_server, "/ws/live/", bench.admin_cookie)
    await until(feed_socket, "hello")
    feed = AdminFeed(feed_socket)
    rounds = -(-wanted // len(pairs))
    trials = await check_in_trials(bench, servers[0], rounds, pairs, feed)
    await feed_socket.close()
    return {
        "check_ins": len(trials["admin_ms"]),
        "misses": trials["misses"],
        "frames_resent": trials["resent"],
        "admin_socket_on": "process 2" if len(servers) > 1 else "process 1",
        "admin": summary(trials["admin_ms"]),
        "camera": summary(trials["camera_ms"]),
    }


async def part_throughput(bench, server, frames, workers, count=12, seconds=20.0):
    session = await dj(bench.new_session)
    group, started, ended = await cameras(server, bench, session, frames, count, seconds, 0.455)
    window = [t for c in group for t in c.replies if started + 2 <= t <= ended]
    analysis = [ms for c in group for ms in c.analysis_ms]
    return {
        "cameras": count,
        "seconds": round(ended - started, 1),
        "offered_fps": round(sum(c.sent for c in group) / (ended - started), 1),
        "answered_fps": round(len(window) / (ended - started - 2), 1),
        "recognition_workers": workers,
        "faces_per_frame": 1,
        "analysis_ms_p50": pct(analysis, 50),
        "reply": summary([ms for c in group for ms in c.latencies]),
    }


async def part_ten_cameras(bench, server, frames, count=10, seconds=30.0):
    session = await dj(bench.new_session)
    before = server.rss()
    peak = dict(before)

    async def sample() -> None:
        while True:
            await asyncio.sleep(1)
            now = await asyncio.to_thread(server.rss)
            if now["total_mb"] > peak["total_mb"]:
                peak.update(now)

    sampler = asyncio.create_task(sample())
    group, started, ended = await cameras(server, bench, session, frames, count, seconds, 0.5)
    sampler.cancel()
    await asyncio.sleep(1)
    after = server.rss()
    sent = sum(c.sent for c in group)
    answered = sum(c.answered for c in group)
    return {
        "cameras": count,
        "seconds": round(ended - started, 1),
        "sent": sent,
        "answered": answered,
        "shed": sent - answered,
        "shed_share": round((sent - answered) / sent, 3) if sent else None,
        "frame_errors": sum(c.errors for c in group),
        "server_dropped": sum(c.dropped for c in group),
        "reply": summary([ms for c in group for ms in c.latencies]),
        "analysis_ms_p50": pct([ms for c in group for ms in c.analysis_ms], 50),
        "rss_before": before,
        "rss_peak": peak,
        "rss_after": after,
    }


async def part_sockets(bench, servers, pairs, wanted_sockets, marks=20):
    server = servers[0]
    arrivals: list[tuple[str, str, float, str]] = []  # (session, student, received, updated)
    before = server.rss()
    sockets, failures = [], 0
    limit = asyncio.Semaphore(50)

    async def open_one():
        nonlocal failures
        async with limit:
            try:
                conn = await ws(server, "/ws/live/", bench.admin_cookie)
                await until(conn, "hello", timeout=30)
                sockets.append(conn)
            except Exception:
                failures += 1

    opened_at = time.perf_counter()
    await asyncio.gather(*(open_one() for _ in range(wanted_sockets)))
    open_seconds = time.perf_counter() - opened_at

    async def listen(conn) -> None:
        with contextlib.suppress(Exception):
            async for raw in conn:
                if '"attendance"' in raw:
                    event = json.loads(raw)
                    received = time.time()
                    arrivals.append(
                        (event["session"], event["student"], received, event["updated_at"])
                    )

    listeners = [asyncio.create_task(listen(s)) for s in sockets]
    await asyncio.sleep(2)
    held = server.rss()
    alive = sum(1 for s in sockets if s.close_code is None)
    if len(servers) > 1:  # marks written by this process, broadcast through Redis
        how = "attendance_mark in the bench process (Redis layer)"
        session = await dj(bench.new_session)
        for number in range(marks):
            await dj(bench.mark, session, number)
            await asyncio.sleep(1.0)  # one event at a time, as the camera path does
    else:  # one process and an in-memory layer: the camera makes the marks
        how = "camera check-ins on the same process (in-memory layer)"
        trials = await check_in_trials(bench, server, -(-marks // len(pairs)), pairs, None)
        how += f", {trials['misses']} misses, {trials['resent']} frames resent"
    await asyncio.sleep(3)
    latencies = [
        (received - datetime.fromisoformat(updated).timestamp()) * 1e3
        for _, _, received, updated in arrivals
    ]
    events = len({(session, student) for session, student, _, _ in arrivals})
    still = sum(1 for s in sockets if s.close_code is None)
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return {
        "wanted": wanted_sockets,
        "held": alive,
        "failed_to_open": failures,
        "open_seconds": round(open_seconds, 1),
        "still_open_after_fanout": still,
        "rss_before": before,
        "rss_holding": held,
        "marks_by": how,
        "events": events,
        "deliveries": len(arrivals),
        "expected_deliveries": events * alive,
        "fanout": summary(latencies),
    }


# ----------------------------------------------------------------------------- main


def table(r: dict) -> None:
    def ms(s: dict) -> str:
        return f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, max {s['max_ms']} ms (n={s['n']})"

    print("\n== Live session (WebSockets on loopback, real daphne) ==")
    print(f"database: {r['database']}; channel layer: {r['channel_layer']}; {r['servers']}")
    c = r["check_in"]
    print(
        f"1. frame -> check-in on admin socket ({c['admin_socket_on']}): {ms(c['admin'])} "
        f"[goal p95 <= 1000 ms]; misses {c['misses']}, frames resent {c['frames_resent']}"
    )
    print(f"   frame -> camera 'checked_in':          {ms(c['camera'])}")
    t = r["throughput"]
    print(
        f"2. one ASGI process, {t['cameras']} cameras as fast as allowed: {t['answered_fps']} "
        f"frames/s answered of {t['offered_fps']} offered (RECOGNITION_WORKERS="
        f"{t['recognition_workers']}, 1 face a frame, analysis p50 {t['analysis_ms_p50']} ms); "
        f"reply {ms(t['reply'])}"
    )
    k = r["ten_cameras"]
    print(
        f"3. {k['cameras']} cameras x 2 frames/s, {k['seconds']} s: sent {k['sent']}, answered "
        f"{k['answered']}, shed {k['shed']} ({k['shed_share']:.0%}); reply {ms(k['reply'])}; "
        f"analysis p50 {k['analysis_ms_p50']} ms"
    )
    print(
        f"   RSS (daphne + pool, MB): before {k['rss_before']['total_mb']} "
        f"({k['rss_before']['processes']} processes), peak {k['rss_peak']['total_mb']}, after "
        f"{k['rss_after']['total_mb']} (daphne alone {k['rss_before']['asgi_mb']} -> "
        f"{k['rss_after']['asgi_mb']})"
    )
    s = r["sockets"]
    print(
        f"4. idle /ws/live/ sockets on one process: {s['held']} of {s['wanted']} held "
        f"[goal >= 1000] (opened in {s['open_seconds']} s, {s['failed_to_open']} failed, "
        f"{s['still_open_after_fanout']} still open after); daphne RSS "
        f"{s['rss_before']['asgi_mb']} -> {s['rss_holding']['asgi_mb']} MB"
    )
    print(
        f"   fan-out of {s['events']} marks ({s['marks_by']}): {s['deliveries']} of "
        f"{s['expected_deliveries']} deliveries; write -> socket {ms(s['fanout'])}"
    )
    loads = ", ".join(f"{name} {r[name]['load_average']}" for name in PARTS if name in r)
    print(f"1-minute load average after each part (2 cores, shared machine): {loads}")
    print(f"total {r['seconds']} s")


async def run(bench, servers, pairs, frames, args, results: dict) -> None:
    # Warm up: both pool workers spawned and loaded, the model read, on every process.
    for server in servers:
        group, _, _ = await cameras(server, bench, await dj(bench.new_session), frames, 2, 3, 0.5)
        if not sum(c.answered for c in group):
            raise RuntimeError(f"no frame answered:\n{server.log_tail()}")
    parts = {
        "check_in": lambda: part_check_in(bench, servers, pairs, args.check_ins),
        "throughput": lambda: part_throughput(bench, servers[0], frames, args.workers),
        "ten_cameras": lambda: part_ten_cameras(bench, servers[0], frames),
        "sockets": lambda: part_sockets(bench, servers, pairs, args.sockets),
    }
    for name, part in parts.items():
        results[name] = await part()
        # The machine is shared: a load average well over its 2 cores inflates every figure.
        results[name]["load_average"] = float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--check-ins", type=int, default=20)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("RECOGNITION_WORKERS") or 2)
    )
    args = parser.parse_args()
    if not (FACES / "yale").is_dir():
        print(f"skipped: the shared face photos are absent ({FACES})")
        return
    started = time.perf_counter()
    _many_files()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = bool(settings.REDIS_URL)
    if engine == "sqlite3":
        call_command("migrate", verbosity=0)
    if redis:
        celery_app.conf.task_always_eager = True  # build the model here, leave no queued task
    bench = Bench()
    servers: list[Server] = []
    results: dict = {}
    try:
        # Two frames of each enrolled student the model accepts (a bench measures check-ins,
        # not recognition accuracy), and tagged frames of students and strangers for the load.
        pairs = {}
        for subject in ENROLLED_SUBJECTS:
            first, second = (
                scene(subject, seed=subject * 100),
                scene(subject, seed=subject * 100 + 1),
            )
            if bench.accepted(first, subject) and bench.accepted(second, subject):
                pairs[subject] = (first, second)
        if len(pairs) < 2:
            raise RuntimeError(f"the model accepts too few probe frames: {sorted(pairs)}")
        mix = ENROLLED_SUBJECTS + STRANGERS
        frames = [scene(mix[i % len(mix)], seed=1000 + i, tag=i) for i in range(TAGS)]
        layers = "redis (channels_redis)" if redis else "in-memory"
        servers = [Server(n, args.workers) for n in ((1, 2) if redis else (1,))]
        for server in servers:
            server.wait_until_listening(time.monotonic() + 60)
        results.update(
            database="postgresql" if engine == "postgresql" else "sqlite (temporary file)",
            channel_layer=layers,
            servers=f"{len(servers)} daphne process(es), RECOGNITION_WORKERS={args.workers}",
            enrolled_students_used=len(pairs),
        )
        asyncio.run(run(bench, servers, pairs, frames, args, results))
    except BaseException:
        print("partial results:", json.dumps(results, indent=2), file=sys.stderr)
        for server in servers:
            print(f"--- {server.log.name} (tail) ---", file=sys.stderr)
            print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        DJ.shutdown()
        bench.delete()
        shutil.rmtree(_tmp, ignore_errors=True)
    results["seconds"] = round(time.perf_counter() - started, 1)
    table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

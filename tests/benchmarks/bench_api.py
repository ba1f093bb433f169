"""HTTP load on the API: GET /api/v1/attendance/ served by 2 worker processes on PostgreSQL.

    DATABASE_URL=postgres://… [REDIS_URL=redis://…] .venv/bin/python tests/benchmarks/bench_api.py \
        [--seconds 30] [--connections 16] [--threads 2] [--page-size 100] \
        [--client wrk|python] [--server serve|uvicorn] [--json bench-results/api.json] [--keep]

Needs a PostgreSQL DATABASE_URL (SQLite serialises writers and is not what a school runs); the
database is created and migrated if it is not there yet. Seeds a throwaway school there (30
classes, 1,000 students, about 5,000 attendance records, a read key), starts
`python -m attendance_project.serve --workers 2` (each worker on its own listening socket; or,
with `--server uvicorn`, `uvicorn --workers 2` on one shared socket, for comparison) on a free
loopback port with the project's own settings (PostgreSQL through a connection pool per worker,
the key cache and throttle counts in Redis when REDIS_URL is set, else in each worker),
DEBUG=false, a random SECRET_KEY and API_THROTTLE_RATE set out of reach, then keeps N keep-alive
connections busy for the given time (at most 60 s, after a 3 s warm-up). Prints req/s,
p50/p95/p99 latency and errors; goal ≥ 300 req/s and p95 < 100 ms. The school and its logins
are deleted afterwards.

Each worker runs HTTP on `--threads` threads (HTTP_THREADS; the project's default is 4): with two
processes on two cores the requests are CPU-bound, and more threads only contend for each
interpreter (measured: 2 threads 175-201 req/s, 4 threads 156-192, 8 threads 85-162).

The load comes from wrk (`make bench` installs Debian's package), in a process of its own: the
client shares the 2 cores with the servers and PostgreSQL, and the former client (http.client,
one Python thread each connection, still `--client python`, the fallback without wrk) took about
1 ms of CPU a request, some 7 % of the machine at 150 req/s, and added its own GIL waits to the
latencies it measured. Requests that are not a 200, and socket errors, count as errors.

Without a PostgreSQL DATABASE_URL it prints why it skipped and exits 0, so `make bench` goes on.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    # `make bench` runs every benchmark; without PostgreSQL this one has nothing to measure.
    print("bench_api skipped: needs DATABASE_URL=postgres://… (the API is measured on PostgreSQL)")
    sys.exit(0)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")

import django  # noqa: E402  (settings must see DATABASE_URL first)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import ApiKeyScope, Organisation, Role, User  # noqa: E402
from accounts.scoping import organisation_scope  # noqa: E402
from accounts.services import api_key_create, member_create  # noqa: E402
from records.models import (  # noqa: E402
    AttendanceRecord,
    ClassSession,
    Enrollment,
    SchoolClass,
    Student,
)
from tests.benchmarks.postgres import ensure_database  # noqa: E402
from tests.processes import connections_by_worker, free_port, worker_pids  # noqa: E402

PATH = "/api/v1/attendance/"
MAX_SECONDS = 60
WARM_UP_SECONDS = 3
GOAL_RPS = 300
GOAL_P95_MS = 100
CLASSES, STUDENTS, SESSIONS_PER_CLASS = 30, 1000, 5
WRK = shutil.which("wrk")
LAUNCHERS = {
    "serve": "attendance_project.serve (a socket per worker)",
    "uvicorn": "uvicorn --workers (one shared socket)",
}
STATUSES = ["present"] * 85 + ["late"] * 7 + ["absent"] * 6 + ["excused"] * 2


def seed(tag: str) -> tuple[Organisation, str, int]:
    """A throwaway school; returns it, a read key and the number of records."""
    organisation = Organisation.objects.create(name=f"Bench API {tag}", slug=f"bench-api-{tag}")
    with organisation_scope(organisation):
        admin = member_create(
            organisation=organisation,
            username=f"{tag}-admin",
            password=secrets.token_urlsafe(16),
            role=Role.ADMIN,
        )
        classes = SchoolClass.objects.bulk_create(
            SchoolClass(organisation=organisation, name=f"Class {n:02d}") for n in range(CLASSES)
        )
        students = Student.objects.bulk_create(
            Student(
                organisation=organisation,
                given_name=f"Given{n}",
                family_name=f"Family{n:04d}",
                student_number=f"{tag}-{n:04d}",
            )
            for n in range(STUDENTS)
        )
        members = {c.pk: students[i :: len(classes)] for i, c in enumerate(classes)}
        Enrollment.objects.bulk_create(
            Enrollment(organisation=organisation, school_class=c, student=s)
            for c in classes
            for s in members[c.pk]
        )
        start = datetime.now(UTC) - timedelta(days=SESSIONS_PER_CLASS + 1)
        sessions = ClassSession.objects.bulk_create(
            ClassSession(
                organisation=organisation,
                school_class=c,
                opened_at=start + timedelta(days=d, hours=8),
                closed_at=start + timedelta(days=d, hours=9),
                status="closed",
            )
            for c in classes
            for d in range(SESSIONS_PER_CLASS)
        )
        records = [
            AttendanceRecord(
                organisation=organisation,
                session=session,
                student=student,
                status=STATUSES[(session.pk * 31 + student.pk) % len(STATUSES)],
                source="manual",
            )
            for session in sessions
            for student in members[session.school_class_id]
        ]
        AttendanceRecord.objects.bulk_create(records, batch_size=2000)
        _, plaintext = api_key_create(
            organisation=organisation,
            name="bench",
            scope=ApiKeyScope.READ,
            created_by=admin.user,
        )
    return organisation, plaintext, len(records)


def delete(organisation: Organisation, tag: str) -> None:
    table = AttendanceRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE organisation_id = %s", [organisation.pk])  # noqa: S608
    User.objects.filter(username__startswith=f"{tag}-").delete()
    organisation.delete()


def start_server(port: int, threads: int, launcher: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "attendance_project.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "API_THROTTLE_RATE": "100000000/minute",
        "HTTP_THREADS": str(threads),
    }
    where = ["--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if launcher == "serve":
        command = [sys.executable, "-m", "attendance_project.serve", *where]
    else:
        uvicorn = str(Path(sys.executable).with_name("uvicorn"))
        command = [uvicorn, "attendance_project.asgi:application", "--no-access-log", *where]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True)  # noqa: S603


def wait_ready(port: int, key: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", PATH, headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            raise SystemExit(f"the server answered {response.status} to {PATH}")
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start within 60 s")


def load_python(port: int, key: str, path: str, connections: int, seconds: float) -> dict:
    headers = {"Authorization": f"Bearer {key}", "Connection": "keep-alive"}
    warm_until = time.monotonic() + WARM_UP_SECONDS
    stop_at = warm_until + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    statuses: dict[int | str, int] = {}
    lock = threading.Lock()

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            started = time.monotonic()
            if started >= stop_at:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if not ok:
                    with lock:
                        statuses[response.status] = statuses.get(response.status, 0) + 1
            except (OSError, http.client.HTTPException) as error:
                ok = False
                with lock:
                    name = type(error).__name__
                    statuses[name] = statuses.get(name, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if started < warm_until:
                continue
            if ok:
                latencies[n].append(time.monotonic() - started)
            else:
                errors[n] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = sorted(latency for per in latencies for latency in per)

    def percentile(p: float) -> float:
        return done[min(len(done) - 1, int(p / 100 * len(done)))] * 1000 if done else float("nan")

    return {
        "requests": len(done),
        "errors": sum(errors),
        "error_statuses": statuses,
        "seconds": seconds,
        "requests_per_second": len(done) / seconds,
        "p50_ms": percentile(50),
        "p95_ms": percentile(95),
        "p99_ms": percentile(99),
    }


# wrk's report, as one JSON line: the key comes from the environment (not the command line, which
# any local user can read), and every request that is not a 200 counts as an error.
WRK_SCRIPT = """
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
local non_200 = 0
function response(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "non_200": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
    .. '"seconds": %f, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, non_200, e.connect, e.read, e.write, e.timeout, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk(port: int, key: str, path: str, connections: int, seconds: float, script: Path) -> dict:
    command = [
        WRK,
        "--threads",
        "1",  # one event loop keeps 16 connections busy; a second would only take CPU
        "--connections",
        str(connections),
        "--duration",
        f"{seconds:.0f}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        f"http://127.0.0.1:{port}{path}",
    ]
    env = {**os.environ, "BENCH_API_KEY": key}
    output = subprocess.run(  # noqa: S603 -- wrk with fixed arguments
        command, env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def connections_per_worker(server_pid: int, port: int) -> list[int]:
    """How many of the load's connections each worker process holds, most first.

    Printed so that a run shows how the load was shared. With one listening socket shared by
    the workers (`--server uvicorn`), the first to wake accepts every connection then waiting:
    wrk's 16 keep-alive connections could sit 16 on one worker and none on the other for a whole
    run, one core saturated while the other idled (measured: a run that left the machine 38 %
    idle served 226 req/s; runs split 8/8 or 10/6 served 320-390).
    """
    held = connections_by_worker(worker_pids(server_pid), port)
    return sorted(held.values(), reverse=True)


def load_wrk(port: int, key: str, path: str, connections: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "report.lua"
        script.write_text(WRK_SCRIPT)
        wrk(port, key, path, connections, WARM_UP_SECONDS, script)
        figures = wrk(port, key, path, connections, seconds, script)
    statuses = {
        name: figures[name]
        for name in ("non_200", "connect", "read", "write", "timeout")
        if figures[name]
    }
    errors = figures["non_200"] + figures["connect"] + figures["read"] + figures["write"]
    errors += figures["timeout"]
    ok = figures["requests"] - figures["non_200"] - figures["read"] - figures["timeout"]
    return {
        "requests": ok,
        "errors": errors,
        "error_statuses": statuses,
        "seconds": figures["seconds"],
        "requests_per_second": ok / figures["seconds"],
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help=f"≤ {MAX_SECONDS}")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=2, help="HTTP threads per worker process (HTTP_THREADS)"
    )
    parser.add_argument(
        "--page-size", type=int, default=100, help="records per page (the API's default: 100)"
    )
    parser.add_argument(
        "--server",
        choices=list(LAUNCHERS),
        default="serve",
        help="serve: a listening socket per worker (the project's); uvicorn: one shared socket",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the bench school")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if WRK else "python",
        help="load generator: wrk (the default when installed) or Python threads",
    )
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    if args.client == "wrk" and not WRK:
        sys.exit(
            "wrk is not installed: `apt-get install wrk` (as `make bench` does), or --client python"
        )
    ensure_database()
    call_command("migrate", verbosity=0)
    tag = f"b{uuid.uuid4().hex[:6]}"
    started = time.perf_counter()
    organisation, key, records = seed(tag)
    with connection.cursor() as cursor:
        # Statistics for the planner, and no dead rows: earlier runs delete their school, and
        # where autovacuum is off (CI's PostgreSQL) their rows stayed behind in the tables and
        # indexes, slowing each run more than the last (PostgreSQL's CPU a request nearly doubled).
        cursor.execute("VACUUM ANALYZE")
    print(
        f"Seeded {CLASSES} classes, {STUDENTS:,} students, {records:,} records "
        f"in {time.perf_counter() - started:.1f} s"
    )
    port = free_port()
    server = start_server(port, args.threads, args.server)
    try:
        wait_ready(port, key)
        path = PATH if args.page_size == 100 else f"{PATH}?page_size={args.page_size}"
        load = load_wrk if args.client == "wrk" else load_python
        split: list[int] = []
        sampler = threading.Timer(
            WARM_UP_SECONDS + seconds / 2,
            lambda: split.extend(connections_per_worker(server.pid, port)),
        )
        sampler.start()
        result = load(port, key, path, args.connections, seconds)
        sampler.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if not args.keep:
            delete(organisation, tag)
    redis = "Redis" if os.environ.get("REDIS_URL") else "no Redis"
    result.update(
        {
            "endpoint": f"GET {path} ({args.page_size} records a page, cursor)",
            "server": f"{LAUNCHERS[args.server]}, 2 worker processes of {args.threads} HTTP "
            f"threads, DEBUG=false, the project's settings, {redis}",
            "database": "postgresql",
            "connections_per_worker": split,
            "load_generator": f"wrk, {args.connections} keep-alive connections"
            if args.client == "wrk"
            else f"{args.connections} keep-alive http.client connections, one Python thread each",
            "goal": {"requests_per_second": GOAL_RPS, "p95_ms": GOAL_P95_MS, "errors": 0},
            "met": result["requests_per_second"] >= GOAL_RPS
            and result["p95_ms"] < GOAL_P95_MS
            and result["errors"] == 0,
        }
    )
    print(f"\n{result['endpoint']} · {result['server']} · {result['load_generator']}")
    print(
        f"{'duration':<12}{'requests':>10}{'req/s':>9}{'p50':>9}{'p95':>9}{'p99':>9}{'errors':>8}"
    )
    print(
        f"{seconds:>9.0f} s {result['requests']:>10,} {result['requests_per_second']:>8.0f}"
        f"{result['p50_ms']:>7.1f}ms{result['p95_ms']:>7.1f}ms{result['p99_ms']:>7.1f}ms"
        f"{result['errors']:>8}"
    )
    if result["error_statuses"]:
        print(f"error statuses: {result['error_statuses']}")
    if split:
        print(f"connections held by each worker, mid-run: {' / '.join(map(str, split))}")
    verdict = "met" if result["met"] else "NOT met"
    print(f"goal (≥ {GOAL_RPS} req/s, p95 < {GOAL_P95_MS} ms, 0 errors): {verdict}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

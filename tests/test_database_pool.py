"""PostgreSQL connections come from a pool per process, never one per request thread, and a
query asked again and again on one is planned once.

When Django's ASGI handler served HTTP, each request's synchronous code ran in a thread of its
own; with persistent connections (CONN_MAX_AGE > 0) every finished thread left its connection
open, until PostgreSQL refused more ("too many clients") and the API answered 500. Sockets still
reach the database from threads that come and go. The pool (settings.py) bounds it all; these
tests hold it on a real uvicorn process under concurrent requests.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import ApiKeyScope
from accounts.scoping import organisation_scope
from records.models import Student
from tests.conftest import REPO_ROOT, api_key_for
from tests.factories import AttendanceRecordFactory, ClassSessionFactory, StudentFactory
from tests.processes import free_port

APP_NAME = "pool-test-server"
POOL_SIZE = 3
REQUESTS = 240
CLIENTS = 12


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's (DATABASE_URL=postgres://…); SQLite has none")


def _settings_in_a_fresh_process(env: dict[str, str]) -> dict:
    code = (
        "import json; from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(json.dumps({'max_age': db['CONN_MAX_AGE'], 'pool': db['OPTIONS'].get('pool'), "
        "'prepare_threshold': db['OPTIONS'].get('prepare_threshold')}))"
    )
    result = subprocess.run(  # noqa: S603 -- our own settings, fixed code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "attendance_project.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_gets_a_pool_sized_by_the_environment_and_no_persistent_connections(db):
    _require_postgresql()
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    assert settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] == (
        settings.DATABASE_POOL_MAX_SIZE
    )
    tuned = _settings_in_a_fresh_process({"DATABASE_POOL_MAX_SIZE": "4"})
    assert tuned == {
        "max_age": 0,
        "pool": {"min_size": 2, "max_size": 4, "timeout": 10},
        "prepare_threshold": 5,
    }
    # 0 leaves pooling to something in front of PostgreSQL (PgBouncer), still never persistent,
    # and without prepared statements, which a connection shared by transaction cannot keep.
    assert _settings_in_a_fresh_process({"DATABASE_POOL_MAX_SIZE": "0"}) == {
        "max_age": 0,
        "pool": None,
        "prepare_threshold": None,
    }


def test_a_query_asked_again_and_again_is_prepared_and_planned_once(db, school_a, school_b):
    _require_postgresql()
    for school in (school_a, school_b, school_a, school_b, school_a, school_b, school_a, school_b):
        with organisation_scope(school.organisation):
            assert list(Student.objects.filter(student_number="S-404")) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ['%FROM "records_student"%"student_number" = $%'],
        )
        plans = cursor.fetchall()
    # One statement for both schools (the school is a parameter), prepared on the 5th call and
    # run on its one generic plan from then on, never planned again.
    assert len(plans) == 1
    generic, custom = plans[0]
    assert generic >= 3
    assert custom == 0


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def uvicorn_on_the_test_database(transactional_db, tmp_path):
    """One uvicorn process (the bench's server) on the test database, with a small pool."""
    _require_postgresql()
    db = connection.settings_dict
    port = free_port()
    log = tmp_path / "uvicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
        "PGAPPNAME": APP_NAME,  # libpq names the server's connections, to count them apart
        "DEBUG": "false",
        "SECRET_KEY": "pool-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_RATE": "100000/minute",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603 -- our own server, fixed arguments
            [
                str(Path(sys.executable).with_name("uvicorn")),
                "attendance_project.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    # Its connections close with it; the test database can then be flushed and dropped.
    deadline = time.monotonic() + 10
    while _server_connections() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_concurrent_api_requests_share_a_bounded_pool_of_connections(
    uvicorn_on_the_test_database, school_a
):
    session = ClassSessionFactory(school_class=school_a.school_class, opened_by=school_a.admin)
    for _ in range(5):
        AttendanceRecordFactory(
            session=session, student=StudentFactory(organisation=school_a.organisation)
        )
    _, key = api_key_for(school_a, ApiKeyScope.READ, "Pool test")
    url = f"{uvicorn_on_the_test_database}/api/v1/attendance/"
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        try:
            while not done.is_set():
                seen.append(_server_connections())
                time.sleep(0.05)
        finally:
            connection.close()  # this thread's own; back to the test process's pool

    def get(_: int) -> int:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- loopback
            assert len(json.load(response)["results"]) == 5
            return response.status

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as clients:
            statuses = list(clients.map(get, range(REQUESTS)))
    finally:
        done.set()
        watcher.join()

    assert statuses == [200] * REQUESTS
    # One connection per request thread would have meant hundreds; the pool lends at most its
    # size, whatever the number of requests and threads.
    assert 1 <= max(seen) <= POOL_SIZE
    assert _server_connections() <= POOL_SIZE

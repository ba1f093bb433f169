"""Redis down while an admin enrols a photo: the photo is kept, the page answers within a bound,
and the rebuild waits in the outbox until the sweep hands it to a worker once Redis is back.

Nothing is mocked: the test runs its own `redis-server` and kills and restarts it by process id,
and the build runs in a real Celery worker process on the test database.
"""

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.scoping import organisation_scope
from attendance_project.celery import app as celery_app
from recognition.engine.engines import get_engine
from recognition.models import FaceEmbedding, FaceModel, FacePhoto, ModelStatus, RebuildRequest
from recognition.services.builds import REENQUEUE_AFTER
from recognition.tasks import sweep_organisation
from tests.conftest import REPO_ROOT
from tests.processes import free_port
from tests.recognition.conftest import yale_photo

pytestmark = [pytest.mark.services, pytest.mark.faces, pytest.mark.django_db(transaction=True)]

# The broker and result-store timeouts are 2 s (settings); an upload that takes longer than this
# with Redis down is waiting on Redis, not judging a photo.
UPLOAD_BOUND_SECONDS = 10
MODEL_WAIT_SECONDS = 40


def _database_url() -> str:
    """The test database, as a worker process must reach it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class PrivateRedis:
    """A `redis-server` of this test alone, on a fixed port, stopped and started by pid."""

    def __init__(self, binary: str, log_dir: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> int:
        assert self.process is None, "already running"
        self.starts += 1
        log = (self.log_dir / f"redis{self.starts}.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 -- our own redis-server, fixed arguments
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.05)
        client.close()
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL by pid, as a crash would: no shutdown, no goodbye to connected clients."""
        if self.process is None:
            return
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs DATABASE_URL (PostgreSQL): a Celery worker process must see the data this "
            "test commits, which a SQLite test database cannot share"
        )
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs redis-server on PATH for the broker outage test")
        pytest.skip("needs redis-server on PATH: the test starts and kills its own Redis")
    server = PrivateRedis(binary, tmp_path)
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def celery_on_private_redis(private_redis):
    """Point this process's Celery app (broker and result store) at the private Redis, with real
    enqueueing; everything goes back as it was afterwards, whatever happened."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}

    def forget_connections(*, close: bool) -> None:
        # kombu keeps one pool per broker URL for the whole process: the app's reference is
        # dropped, and only the private Redis's pool has its connections closed (closing the
        # pool itself, force_close_all's default, would break every later enqueue to that URL).
        if close and celery_app._pool is not None:
            celery_app._pool.force_close_all(close_pool=False)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        # The result backend is cached per app (or per thread); drop it so the next use is built
        # from the current configuration.
        celery_app._backend_cache = None
        if hasattr(celery_app._local, "backend"):
            del celery_app._local.backend

    forget_connections(close=False)
    conf.broker_url = private_redis.url
    conf.result_backend = private_redis.url
    conf.task_always_eager = False
    try:
        yield private_redis
    finally:
        forget_connections(close=True)
        for key, value in saved.items():
            conf[key] = value


@pytest.fixture
def processes():
    """Every subprocess a test starts here is killed by its pid, whether the test passed or not."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _start_worker(redis_url: str, private_root: Path, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "PRIVATE_STORAGE_ROOT": str(private_root),
        "DEBUG": "true",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "attendance_project",
            "worker",
            "-P",
            "solo",
            "-Q",
            "celery,retrain",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait_for_ready_model(organisation, worker, log_path: Path) -> FaceModel:
    deadline = time.monotonic() + MODEL_WAIT_SECONDS
    while time.monotonic() < deadline:
        with organisation_scope(organisation):
            model = FaceModel.objects.filter(status=ModelStatus.READY).first()
        if model is not None:
            return model
        if worker.poll() is not None:
            break
        time.sleep(0.2)
    log = log_path.read_text()[-3000:]
    raise AssertionError(f"no ready model within {MODEL_WAIT_SECONDS} s; worker log:\n{log}")


def test_a_photo_enrolled_while_redis_is_down_is_kept_and_built_once_redis_is_back(
    biometric_school, client_for, private_root, celery_on_private_redis, processes, tmp_path, caplog
):
    school = biometric_school
    organisation = school.organisation
    redis_server = celery_on_private_redis
    first_pid = redis_server.start()
    redis_server.kill()  # Redis is down, as after a crash
    with pytest.raises(ProcessLookupError):
        os.kill(first_pid, 0)
    get_engine().load()  # the weights load before the clock starts: the bound is about Redis

    client = client_for(school.admin)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="recognition.services.builds"):
        response = client.post(
            f"/students/{school.student.public_id}/photos/",
            {"photos": [SimpleUploadedFile("face.gif", yale_photo(1, "noglasses"), "image/gif")]},
            HTTP_ACCEPT="application/json",
        )
    upload_seconds = time.monotonic() - started

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert (result["accepted"], result["code"]) == (True, "accepted")
    assert upload_seconds < UPLOAD_BOUND_SECONDS, f"the upload took {upload_seconds:.1f} s"
    assert "not enqueued" in caplog.text
    with organisation_scope(organisation):
        photo = FacePhoto.objects.get(public_id=result["photo"])
        assert photo.student_id == school.student.pk
        assert (private_root / photo.image.name).is_file()
        [request] = RebuildRequest.objects.all()
        assert (request.claimed_by_id, request.enqueued_at) == (None, None)

        # Time passes beyond REENQUEUE_AFTER: the request is now one no task is coming for.
        RebuildRequest.objects.filter(pk=request.pk).update(
            created_at=timezone.now() - REENQUEUE_AFTER - timedelta(seconds=1)
        )
    # A sweep while Redis is still down enqueues nothing, quickly, and marks nothing enqueued.
    started = time.monotonic()
    assert sweep_organisation(organisation_id=organisation.pk) is False
    assert time.monotonic() - started < UPLOAD_BOUND_SECONDS
    with organisation_scope(organisation):
        request.refresh_from_db()
    assert request.enqueued_at is None

    second_pid = redis_server.start()  # Redis is back on the same port, a new process
    assert second_pid != first_pid
    assert sweep_organisation(organisation_id=organisation.pk) is True
    with organisation_scope(organisation):
        request.refresh_from_db()
    assert request.enqueued_at is not None
    assert request.claimed_by_id is None

    log_path = tmp_path / "worker.log"
    worker = _start_worker(redis_server.url, private_root, log_path)
    processes.append(worker)
    model = _wait_for_ready_model(organisation, worker, log_path)

    assert (model.photos_count, model.students_count) == (1, 1)
    assert (private_root / model.file_name).is_file()
    with organisation_scope(organisation):
        request.refresh_from_db()
        assert request.claimed_by_id == model.pk
        assert FaceEmbedding.objects.filter(photo=photo).count() == 1
        assert not RebuildRequest.objects.filter(claimed_by__isnull=True).exists()

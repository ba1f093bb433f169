"""`python -m attendance_project.serve`: the project served from worker processes, each on a
listening socket of its own, so that connections which stay open are spread across them.

Real processes on loopback. The pages asked for here (the login page, an anonymous WebSocket)
touch no database, so the servers need nothing but the environment the suite runs in."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.processes import (
    REPO_ROOT,
    Served,
    connections_by_worker,
    free_port,
    listeners_by_worker,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the kernel's socket tables in /proc"
)

STARTUP_SECONDS = 90


def server_env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "true"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def wait_for(condition, seconds: float, what: str, server: Served | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            log = f"\n{server.log_tail()}" if server is not None else ""
            raise AssertionError(f"not within {seconds} s: {what}{log}")
        time.sleep(0.1)


def start(tmp_path: Path, workers: int | None = 2, expected: int = 2, **env: str | None) -> Served:
    server = Served(env=server_env(**env), log=tmp_path / "serve.log", workers=workers)
    server.start()
    server.wait_until_listening(time.monotonic() + STARTUP_SECONDS)
    # Listening means one worker is up; wait for every one.
    wait_for(
        lambda: (
            sorted(listeners_by_worker(server.worker_pids(), server.port).values())
            == [1] * expected
        ),
        STARTUP_SECONDS,
        f"{expected} workers listening",
        server,
    )
    return server


def serve_until_it_exits(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    """Run the server where it is expected to stop by itself; what it printed."""
    return subprocess.run(  # noqa: S603 -- our own server, fixed arguments
        [sys.executable, "-m", "attendance_project.serve", *args],
        cwd=REPO_ROOT,
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = start(tmp_path)
    yield server
    server.stop()


def login_page(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/login/")
    response = connection.getresponse()
    response.read()
    return response.status


def test_each_worker_listens_on_a_socket_of_its_own(served):
    pids = served.worker_pids()

    assert len(pids) == 2
    assert listeners_by_worker(pids, served.port) == dict.fromkeys(pids, 1)


def test_connections_that_arrive_while_the_workers_are_busy_are_spread_across_them(served):
    # Busy here is stopped: every connection is made while neither worker can accept. With one
    # shared socket they all wait in its queue, and the first worker to wake accepts them all
    # (measured with `uvicorn --workers 2`: 29 to 32 of 32 on one worker); with a socket each,
    # the kernel has already split them.
    pids = served.worker_pids()
    connections = [http.client.HTTPConnection("127.0.0.1", served.port) for _ in range(32)]
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            for connection in connections:
                connection.connect()
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        assert [login_page(connection) for connection in connections] == [200] * 32

        held = connections_by_worker(pids, served.port)

        assert sum(held.values()) == 32
        # By the kernel's hash of each connection's ports: fewer than 6 on one: 1 in 9,000.
        assert min(held.values()) >= 6, held
    finally:
        for connection in connections:
            connection.close()


def test_websockets_reach_the_live_feed_and_a_closed_one_lets_the_worker_stop(tmp_path):
    server = start(tmp_path)
    url = f"ws://127.0.0.1:{server.port}/ws/live/"
    origin = f"http://127.0.0.1:{server.port}"
    with (
        connect(url, origin=origin, proxy=None) as websocket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        websocket.recv(timeout=30)
    assert closed.value.rcvd.code == 4401  # the consumer's "not logged in"
    process = server.process
    assert process is not None

    process.terminate()

    # uvicorn waits for every consumer to end; one still receiving from the channel layer kept
    # its worker up for ever (attendance_project/channel_layer.py).
    assert process.wait(timeout=20) == 0, server.log_tail()


def test_without_redis_one_worker_serves_by_default(tmp_path):
    # The channel layer and the cache would live in each worker: a check-in would reach only
    # the pages connected to the worker that made it.
    server = start(tmp_path, workers=None, expected=1, REDIS_URL=None)
    try:
        assert len(server.worker_pids()) == 1
    finally:
        server.stop()


def test_with_redis_one_worker_per_core_serves_by_default(tmp_path):
    cores = os.cpu_count() or 1
    server = start(tmp_path, workers=None, expected=cores, REDIS_URL="redis://127.0.0.1:1/0")
    try:
        assert len(server.worker_pids()) == cores
    finally:
        server.stop()


def test_more_workers_without_redis_are_served_with_a_warning(tmp_path):
    server = start(tmp_path, workers=2, REDIS_URL=None)
    try:
        assert "Without REDIS_URL each worker has its own live updates" in server.log_tail()
    finally:
        server.stop()


def test_a_second_server_on_the_same_port_is_refused(served, tmp_path):
    # SO_REUSEPORT would let it join the first one's group and take half its connections.
    second = serve_until_it_exits("--port", str(served.port))

    assert second.returncode == 2
    assert f"cannot listen on 127.0.0.1:{served.port}" in second.stderr
    assert "Is another server running there?" in second.stderr


def test_a_port_taken_by_another_program_is_refused():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        refused = serve_until_it_exits("--port", str(port))

    assert refused.returncode == 2
    assert "Address already in use" in refused.stderr


def test_a_worker_that_dies_is_replaced_and_the_port_keeps_answering(served):
    victim, survivor = served.worker_pids()

    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        # One reading of the process table: the survivor and one new worker, each listening.
        pids = served.worker_pids()
        listening = listeners_by_worker(pids, served.port)
        return survivor in pids and victim not in pids and list(listening.values()) == [1, 1]

    wait_for(replaced, STARTUP_SECONDS, "a new worker listening beside the survivor", served)
    assert f"died (status -{int(signal.SIGKILL)})" in served.log_tail()
    connections = [http.client.HTTPConnection("127.0.0.1", served.port) for _ in range(16)]
    try:
        assert [login_page(connection) for connection in connections] == [200] * 16
    finally:
        for connection in connections:
            connection.close()


def test_sigterm_stops_the_workers_then_the_server(tmp_path):
    server = start(tmp_path)
    pids = server.worker_pids()
    process = server.process
    assert process is not None

    process.terminate()

    assert process.wait(timeout=60) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_workers_stop_when_the_server_is_killed_outright(tmp_path):
    server = start(tmp_path)
    pids = server.worker_pids()

    server.kill()  # SIGKILL: the parent cannot stop them itself

    wait_for(
        lambda: all(not Path(f"/proc/{pid}").exists() or _is_zombie(pid) for pid in pids),
        30,
        "workers gone after their parent was killed",
    )


def test_a_worker_that_cannot_start_stops_the_server(tmp_path):
    failed = serve_until_it_exits(
        *("--port", str(free_port()), "--workers", "2"),
        DJANGO_SETTINGS_MODULE="attendance_project.no_such_settings",
    )

    assert failed.returncode != 0
    assert "before it started serving; stopping" in failed.stderr
    assert "no_such_settings" in failed.stderr


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True

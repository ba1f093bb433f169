"""Server processes of the project for tests and benchmarks: no pytest, no Django set-up needed."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AsgiServer:
    """One server process of the project on a fixed port; it can be killed and started again on
    that port. Subclasses say which server: `command()`."""

    name = "server"

    def __init__(
        self,
        *,
        env: dict[str, str],
        log: Path,
        port: int | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.env = env
        self.log = log
        self.port = port or free_port()
        self.preexec_fn = preexec_fn  # run in the child before the server starts (setrlimit)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        with self.log.open("a") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603 -- our own server, fixed arguments
                self.command(),
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec_fn,
            )

    def wait_until_listening(self, deadline: float) -> None:
        """Until the port accepts a connection, or `deadline` (time.monotonic()) has passed."""
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} on port {self.port} exited:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no close frame, no cleanup; what a browser sees when the network drops."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # Never left running on the test database, which the next run could not drop.
            process.kill()
            process.wait(timeout=10)
            raise RuntimeError(
                f"{self.name} on port {self.port} ignored SIGTERM for 20 s:\n{self.log_tail()}"
            ) from None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text()[-chars:] if self.log.exists() else ""


class Daphne(AsgiServer):
    """daphne: one process, as `make run` serves."""

    name = "daphne"

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)),
            "attendance_project.asgi:application",
        ]


class Served(AsgiServer):
    """`python -m attendance_project.serve`: worker processes, each on its own socket."""

    name = "attendance_project.serve"

    def __init__(self, *, workers: int | None = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workers = workers  # None: serve's default

    def command(self) -> list[str]:
        command = [
            *(sys.executable, "-m", "attendance_project.serve", "--host", "127.0.0.1"),
            *("--port", str(self.port)),
        ]
        return command if self.workers is None else [*command, "--workers", str(self.workers)]

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return worker_pids(self.process.pid)


def worker_pids(parent: int) -> list[int]:
    """The worker processes a server started (multiprocessing's spawned children), not its
    resource tracker. The kernel's list of children may miss one while another is being reaped:
    a caller that waits for a change should check one reading whole, and read again."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    pids = []
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(int(pid))
        except FileNotFoundError:  # exited meanwhile
            continue
    return pids


def _sockets_on_port(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets with this local port in this state ("0A" listening, "01"
    established), from the kernel's tables."""
    local = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(local) and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _held(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


def connections_by_worker(pids: list[int], port: int) -> dict[int, int]:
    """How many accepted connections on `port` each of these processes holds."""
    inodes = _sockets_on_port(port, "01")
    return {pid: _held(pid, inodes) for pid in pids}


def listeners_by_worker(pids: list[int], port: int) -> dict[int, int]:
    """How many listening sockets on `port` each of these processes holds."""
    inodes = _sockets_on_port(port, "0A")
    return {pid: _held(pid, inodes) for pid in pids}


class RedisServer:
    """A redis-server of a test's own on a fixed port, keeping nothing on disk: it can be stopped
    and started again where the machine's Redis, which everything else shares, cannot."""

    def __init__(self, binary: str, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> None:
        self.process = subprocess.Popen(  # noqa: S603 -- a server binary with fixed arguments
            [
                *(self.binary, "--bind", "127.0.0.1", "--port", str(self.port)),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not answer")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

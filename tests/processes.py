"""Server processes of the project for tests and benchmarks: no pytest, no Django set-up needed."""

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Daphne:
    """One daphne process on a fixed port; it can be killed and started again on that port."""

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
        self.preexec_fn = preexec_fn  # run in the child before daphne starts (setrlimit)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603 -- our own server, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "attendance_project.asgi:application",
                ],
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
                raise RuntimeError(f"daphne on port {self.port} exited:\n{self.log_tail()}")
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
                f"daphne on port {self.port} ignored SIGTERM for 20 s:\n{self.log_tail()}"
            ) from None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text()[-chars:] if self.log.exists() else ""

"""Serve the project from several worker processes, each on a listening socket of its own.

    python -m attendance_project.serve [--host 127.0.0.1] [--port 8000] [--workers N]

Several workers need REDIS_URL: they share live updates and the API's throttle through Redis
(without it there is one worker by default, and a warning if more are asked for). Each worker
is a uvicorn server (HTTP and WebSockets) running attendance_project.asgi. Why not
`uvicorn --workers N`: there every worker waits on one shared listening socket, and the first to
wake accepts every connection then waiting. Clients that keep their connections open (an SIS
polling the API, a proxy in front, the benchmark's 16 connections) could stay 16 on one worker
and none on the other for as long as they lived, one core saturated while the other idled
(tests/benchmarks/bench_api.py measured 200-240 req/s so, against 310-390 when shared). Here each
worker binds its own socket to the same address with SO_REUSEPORT, and the kernel hands each new
connection to one of them by a hash of its addresses, whichever worker is awake.

The parent only watches: a worker that is killed is replaced; one that exits by itself before it
started serving (bad settings, say) stops the whole server with its exit status, since a
replacement would fail the same way. SIGTERM or SIGINT stop the workers gracefully (each
finishes the requests it holds) and then the parent.

SO_REUSEPORT lets any process of the same user bind the same port and share its connections,
so before starting the workers the parent checks that nothing listens there already.
"""

import argparse
import errno
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import wait
from multiprocessing.synchronize import Event

import uvicorn

APPLICATION = "attendance_project.asgi:application"
STOP_SECONDS = 30  # for the requests a worker holds to finish before it is killed

logger = logging.getLogger("attendance_project.serve")
spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of the parent's state


class CannotListen(OSError):
    pass


def listening_socket(host: str, port: int, *, share: bool) -> socket.socket:
    """A TCP socket bound to host:port; with `share`, one of a group that the kernel spreads
    connections across (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart over TIME_WAIT
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        message = f"cannot listen on {host}:{port}: {error.strerror}"
        if error.errno == errno.EADDRINUSE:
            message += ". Is another server running there?"
        raise CannotListen(error.errno, message) from error
    return sock


def check_address_free(host: str, port: int) -> None:
    """Raise CannotListen if any process listens on host:port, a server of ours included: a
    socket without SO_REUSEPORT cannot join the group of one that has it."""
    listening_socket(host, port, share=False).close()


class _ReportingServer(uvicorn.Server):
    """Tells the parent once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready: Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.ready.set()


def stop_with_parent(parent: int) -> None:
    """Ask Linux for a SIGTERM when the parent dies. A parent killed outright (SIGKILL, the OOM
    killer) would otherwise leave its workers serving the port, with nobody to replace them
    and nothing to stop them but finding their pids."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def run_worker(host: str, port: int, log_level: str, ready: Event, parent: int) -> None:
    """One worker process: its own socket, one uvicorn server on it."""
    stop_with_parent(parent)
    sock = listening_socket(host, port, share=True)
    config = uvicorn.Config(
        APPLICATION,
        log_level=log_level,
        access_log=False,  # a line per request is the proxy's job, and costs the worker CPU
        lifespan="off",  # Channels' router has no lifespan; the app starts on import
    )
    _ReportingServer(config, ready).run(sockets=[sock])


class Worker:
    def __init__(self, number: int, host: str, port: int, log_level: str) -> None:
        self.number = number
        self.ready = spawn.Event()
        self.process = spawn.Process(
            target=run_worker,
            args=(host, port, log_level, self.ready, os.getpid()),
            name=f"attendance-worker-{number}",
        )
        self.process.start()


class Supervisor:
    def __init__(self, host: str, port: int, workers: int, log_level: str) -> None:
        self.host = host
        self.port = port
        self.count = workers
        self.log_level = log_level
        self.workers: list[Worker] = []
        self.stopping = False

    def request_stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        """Serve until asked to stop; the exit status."""
        check_address_free(self.host, self.port)
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        self.workers = [
            Worker(number, self.host, self.port, self.log_level) for number in range(self.count)
        ]
        pids = " ".join(str(worker.process.pid) for worker in self.workers)
        workers = f"{self.count} worker{'s' if self.count > 1 else ''}"
        logger.info(
            "Serving http://%s:%d/ from %s (pids %s), parent pid %d",
            *(self.host, self.port, workers, pids, os.getpid()),
        )
        status = 0
        while not self.stopping:
            # Wakes when a worker exits, or every half second to see a stop request.
            wait([worker.process.sentinel for worker in self.workers], timeout=0.5)
            for index, worker in enumerate(self.workers):
                if worker.process.is_alive() or self.stopping:
                    continue
                code = worker.process.exitcode
                # An exit status of its own before serving is a start that failed (uvicorn's 3,
                # an import error's 1); a signal (negative) is something that befell it.
                if not worker.ready.is_set() and code is not None and code > 0:
                    logger.error(
                        "Worker %d exited (status %s) before it started serving; stopping.",
                        worker.number,
                        code,
                    )
                    status = code
                    self.stopping = True
                    break
                logger.warning("Worker %d died (status %s); starting another.", worker.number, code)
                self.workers[index] = Worker(worker.number, self.host, self.port, self.log_level)
        self.stop_workers()
        return status

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()  # SIGTERM: uvicorn finishes what it holds
        deadline = time.monotonic() + STOP_SECONDS
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                logger.error("Worker %d ignored SIGTERM; killing it.", worker.number)
                worker.process.kill()
                worker.process.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m attendance_project.serve",
        description="Serve HTTP and WebSockets from several worker processes.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per core with REDIS_URL, else one)",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    args = parser.parse_args(argv)
    shared = bool(os.environ.get("REDIS_URL"))  # as attendance_project.settings reads it
    if args.workers is None:
        args.workers = (os.cpu_count() or 1) if shared else 1
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    # The parent's own few lines (start, a worker replaced) always show; --log-level is uvicorn's.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s serve: %(message)s")
    if args.workers > 1 and not shared:
        # Without Redis the channel layer and the cache live in each process.
        logger.warning(
            "Without REDIS_URL each worker has its own live updates and API throttle: a check-in"
            " reaches only the pages connected to the worker that made it. Set REDIS_URL, or"
            " serve with --workers 1."
        )
    try:
        return Supervisor(args.host, args.port, args.workers, args.log_level).run()
    except CannotListen as error:
        logger.error("%s", error.strerror)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""``emberterm worker`` / ``python -m app.worker``: the session server, in the foreground.

One worker per user and ``EMBERTERM_HOME``, guaranteed by an exclusive lock on
``worker.lock`` in the runtime directory (a second worker exits with status 3). The GUI
starts it detached when absent, so it outlives the GUI; it exits by itself after
``--quiet-exit`` seconds with no sessions and no clients, and on SIGTERM/SIGINT (which end
its sessions, as closing a terminal does).

Exit status: 0 after a normal stop, 3 when another worker already runs, 1 on a failure to
start (the log says why).
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import IO

from PySide6.QtCore import QCoreApplication, QTimer

from app import __version__
from app.config import load_config
from app.paths import state_paths
from app.worker.host import SessionHost, relayed_session
from app.worker.service import WorkerService
from app.worker.store import Store
from ipc import logs, security
from ipc.server import Server
from terminal.session import Session

log = logging.getLogger("emberterm.worker")

EXIT_ALREADY_RUNNING = 3


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="emberterm worker", description="Run the Emberterm session server in the foreground."
    )
    parser.add_argument(
        "--quiet-exit", type=float, metavar="SECONDS",
        default=float(os.environ.get("EMBERTERM_WORKER_QUIET_EXIT", 60.0)),
        help="exit after this long with no sessions and no clients (0: never; default "
        "$EMBERTERM_WORKER_QUIET_EXIT or 60)")
    parser.add_argument("--max-fps", type=float, default=60.0,
                        help="most screen frames a second per session under a flood")
    parser.add_argument("--no-store", action="store_true",
                        help="keep no transcripts (same as worker.persistent = false)")
    parser.add_argument("--version", action="version", version=f"emberterm {__version__}")
    return parser.parse_args(list(argv))


def acquire_lock(path: os.PathLike[str] | str) -> IO[str] | None:
    """The single-worker lock, held for the life of the process; None if taken."""
    handle = open(path, "a+")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    paths = state_paths().ensure()
    logs.configure("worker", paths.log_dir)
    lock = acquire_lock(paths.lock_file)
    if lock is None:
        print("emberterm worker: another worker is already running for this user "
              f"and state directory ({paths.runtime_dir})", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    config = load_config(paths.config_file).config
    app = QCoreApplication.instance() or QCoreApplication([])
    token = security.ensure_token(paths.token_file)
    persistent = bool(config["worker.persistent"]) and not args.no_store
    store = Store(paths.database, enabled=persistent).start()
    lost = store.mark_running_as_lost()
    if lost:
        log.warning("%d sessions ended with the previous worker", lost)
    host = SessionHost(
        store,
        history=int(config["scrollback.lines"]),
        max_fps=args.max_fps,
        session_factory=relayed_session if config["worker.relay"] else Session,
    )
    service = WorkerService(host, store)
    server = Server(paths.socket_name, handler=service, token=token)
    service.bind(server)
    if not server.listen():
        log.error("cannot listen: %s", server.listen_error)
        print(f"emberterm worker: cannot listen: {server.listen_error}", file=sys.stderr)
        store.close()
        return EXIT_ALREADY_RUNNING if "another server" in server.listen_error else 1

    quiet_since = [time.monotonic()]

    def check_quiet() -> None:
        if host.sessions or server.clients:
            quiet_since[0] = time.monotonic()
        elif args.quiet_exit and time.monotonic() - quiet_since[0] >= args.quiet_exit:
            log.info("no sessions and no clients for %.0f s: exiting", args.quiet_exit)
            app.quit()

    quiet = QTimer()
    quiet.setObjectName("quiet_exit")
    quiet.timeout.connect(check_quiet)
    quiet.start(int(min(5.0, max(0.2, args.quiet_exit / 4 or 5.0)) * 1000))

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        app.quit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Python runs signal handlers between bytecodes; a timer makes sure it gets to.
    wake = QTimer()
    wake.setObjectName("signal_wake")
    wake.timeout.connect(lambda: None)
    wake.start(200)

    log.info("worker %s ready (pid %d, socket %s)", __version__, os.getpid(), server.name)
    print(f"emberterm worker: listening on {server.name}", flush=True)
    try:
        app.exec()
    finally:
        server.close()
        host.shutdown()
        store.close()
        lock.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``emberterm [options]``: the GUI's command line and start-up.

    emberterm [-e CMD [ARGS...]] [--hold] [--cwd DIR] [--geometry COLSxROWS]
              [--title TITLE] [--config FILE] [--version] [--help]

As with ``xterm -e``, everything after ``-e`` is the command and its arguments, so ``-e``
comes last. Without ``--hold`` a tab closes when its program exits, a window when its last
tab closes and the process when its last window closes. The reference is docs/CLI.md.

Start-up never fails on the config file: its problems are logged to the state directory's
``gui.log`` and shown in the first window. Only a wrong command line (exit status 2) stops
the program before a window opens.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import __version__
from app.config import LoadResult, load_config
from app.paths import state_paths

if TYPE_CHECKING:
    from app.gui.window import Launch

log = logging.getLogger("app.gui")

_GEOMETRY = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


@dataclass(frozen=True)
class Options:
    command: list[str] | None
    hold: bool
    cwd: str | None
    columns: int | None
    rows: int | None
    title: str
    config: Path | None
    local: bool = False


class _Parser(argparse.ArgumentParser):
    def __init__(self) -> None:
        super().__init__(
            prog="emberterm",
            usage="emberterm [-e CMD [ARGS...]] [--hold] [--cwd DIR] [--geometry COLSxROWS]\n"
            "                 [--title TITLE] [--config FILE] [--version] [--help]",
            description="A terminal with tabs whose shells run on real pseudo-terminals.",
            epilog="Everything after -e is the command, as with xterm -e, so -e comes last. "
            "Example: emberterm --hold -e sh -c 'ls --color; exit 3'",
        )
        self.add_argument(
            "-e", dest="command", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]",
            help="CMD [ARGS...]: run CMD with ARGS in the first tab instead of the shell "
            "(everything after -e belongs to the command)",
        )
        self.add_argument(
            "--hold", action="store_true",
            help="keep the tab open after the command exits, showing its exit status",
        )
        self.add_argument("--cwd", metavar="DIR", help="working directory of the first tab")
        self.add_argument(
            "--geometry", metavar="COLSxROWS", type=_geometry,
            help="size of the first window in character cells, e.g. 100x30",
        )
        self.add_argument("--title", metavar="TITLE", default="",
                          help="title of the first tab until its program sets one")
        self.add_argument(
            "--config", metavar="FILE", type=Path,
            help="read this config file instead of the one in the config directory",
        )
        self.add_argument(
            "--local", action="store_true",
            help="run sessions inside this window instead of the session server "
            "(they end when the window closes)",
        )
        self.add_argument("--version", action="version", version=f"emberterm {__version__}")


def _geometry(text: str) -> tuple[int, int]:
    match = _GEOMETRY.match(text)
    if not match or not (2 <= int(match[1]) <= 1000 and 2 <= int(match[2]) <= 1000):
        raise argparse.ArgumentTypeError(
            f"expected COLSxROWS with 2-1000 columns and rows, like 100x30 (got {text!r})"
        )
    return int(match[1]), int(match[2])


def parse_args(argv: Sequence[str]) -> Options:
    """The options; raises ``SystemExit`` for --help, --version and mistakes (as argparse)."""
    parser = _Parser()
    args = parser.parse_args(list(argv))
    if args.command is not None and not args.command:
        parser.error("-e needs a command")
    if args.cwd is not None and not os.path.isdir(args.cwd):
        parser.error(f"--cwd {args.cwd}: no such directory")
    columns, rows = args.geometry or (None, None)
    return Options(
        command=args.command,
        hold=args.hold,
        cwd=os.path.abspath(args.cwd) if args.cwd else None,
        columns=columns,
        rows=rows,
        title=args.title,
        config=args.config,
        local=args.local,
    )


def setup_logging(log_dir: Path) -> None:
    """JSON lines with correlation ids to ``log_dir/gui.log`` (rotating, as the worker's),
    and warnings to stderr."""
    from ipc import logs

    try:
        logs.configure("gui", log_dir)
    except OSError as exc:  # a read-only home must not stop the terminal
        print(f"emberterm: cannot write logs in {log_dir}: {exc}", file=sys.stderr)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("emberterm: %(message)s"))
    logging.getLogger().addHandler(console)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    paths = state_paths()
    worker, spawn_error = None, None
    if not options.local:
        # First of all, so that the worker's start-up runs beside the GUI's (importing Qt,
        # building the window) rather than after it: see app.gui.spawn.
        from app.gui.spawn import start_early

        try:
            worker = start_early(paths.ensure())
        except OSError as exc:  # the supervisor tries again, then falls back
            spawn_error = exc
    setup_logging(paths.log_dir)
    if spawn_error is not None:
        log.info("cannot start the session server yet (%s); trying again", spawn_error)
    config_path = options.config or paths.config_file
    loaded = load_config(config_path)
    if options.config is not None and not config_path.exists():
        # Asked for by name, so its absence is likely a typo worth saying.
        loaded = LoadResult(loaded.config, [
            f"{config_path}: no such file; using the defaults (it is watched: create it "
            "and it applies)", *loaded.warnings], loaded.path)
    log.info("emberterm %s starting; config %s", __version__, config_path)
    for warning in loaded.warnings:
        log.warning("%s", warning)

    from app.qtload import load_qt

    load_qt()  # before the first PySide6 import: see app/qtload.py
    from PySide6.QtWidgets import QApplication

    from app.gui.app_state import AppState

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "emberterm"])
    assert isinstance(app, QApplication)
    app.setApplicationName("emberterm")
    app.setApplicationDisplayName("Emberterm")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("emberterm")
    # The app decides when to quit: when its last window has closed.
    app.setQuitOnLastWindowClosed(False)

    link = None
    if not options.local:
        from app.gui.worker_link import WorkerLink

        link = WorkerLink(paths.ensure())
        if not link.start(started=worker):
            log.warning("the session server is not available; tabs run in this process")
    state = AppState(loaded, link=link, handle_factory=link.make_handle if link else
                     local_handle_factory())
    state.last_window_closed.connect(app.quit)
    restored = restore_windows(state, link) if link and options.command is None else 0
    if not restored:
        window = state.new_window(launch_from(options))
        if link is not None and options.command is None:
            offer_previous_layout(state, link, window)

    def stop() -> None:
        # SIGTERM/SIGINT/SIGHUP: end every program without asking, then leave the loop.
        state.shutdown()
        app.exit(0)

    status = run_event_loop(app, on_signal=stop)
    if link is not None:
        link.stop()
    log.info("emberterm exiting with %s", status)
    return status


def local_handle_factory() -> Any:
    from app.gui.app_state import local_handle

    return local_handle


def offer_previous_layout(state: Any, link: Any, window: Any) -> None:
    """After a reboot (or a worker crash with no GUI running), offer to reopen the tabs
    that ended with the session server, with fresh shells in the same directories."""
    from app.gui.window import Launch

    windows = link.previous_layout()
    count = sum(len(tabs) for tabs in windows)
    if not count:
        return

    def reopen() -> None:
        for tabs in link.previous_layout(take=True):
            specs = [(t.get("argv") or None, t.get("cwd") or None) for t in tabs]
            specs = [(argv, cwd if cwd and os.path.isdir(cwd) else None) for argv, cwd in specs]
            first = state.new_window(Launch(argv=specs[0][0], cwd=specs[0][1]))
            for argv, cwd in specs[1:]:
                first.open_tab(argv, cwd=cwd)

    window.banner.offer(
        f"{count} tab{'s' if count != 1 else ''} ended when the session server stopped "
        "(a restart of the computer, or a crash).", "Reopen them", reopen)


def restore_windows(state: Any, link: Any) -> int:
    """Reopen the windows and tabs of a GUI that was killed: worker sessions no window
    shows, in their recorded windows and order. Returns how many windows opened."""
    from app.gui.window import Launch

    windows = link.orphans()
    for tabs in windows:
        first, rest = tabs[0], tabs[1:]
        # The window takes the size of the tab that was current: that tab's terminal
        # followed the window's last size (the others kept theirs while hidden).
        current = next((i for i, info in enumerate(tabs) if info.get("current")), 0)
        window = state.new_window(Launch(handle=link.adopt(first),
                                         columns=tabs[current]["columns"],
                                         rows=tabs[current]["rows"]), show=False)
        for info in rest:
            window.open_tab(handle=link.adopt(info))
        window.tabs.setCurrentIndex(current)
        window.show()  # only now: a tab hidden before is not resized to the window
    if windows:
        log.info("reopened %d windows of sessions left by a previous GUI", len(windows))
    return len(windows)


def launch_from(options: Options) -> Launch:
    from app.gui.window import Launch

    return Launch(
        argv=options.command,
        cwd=options.cwd,
        hold=options.hold,
        title=options.title,
        columns=options.columns,
        rows=options.rows,
    )


def run_event_loop(app: object, on_signal: Callable[[], None] | None = None) -> int:
    """Qt's event loop, with SIGINT, SIGTERM and SIGHUP calling ``on_signal`` from it
    (by default: leave the loop).

    Plain Qt, not qasync: the GUI talks to the worker with callbacks only, so asyncio
    would be loaded just for the signal handlers, and it costs ~20 ms before the first
    paint and ~7 MB (it imports ssl)."""
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    restore = watch_signals(on_signal or (lambda: app.exit(0)))
    try:
        log.info("event loop running")
        return int(app.exec())
    finally:
        restore()


def watch_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` from the Qt event loop on SIGINT, SIGTERM and SIGHUP; returns a
    function that puts the previous handlers back.

    Python runs a signal handler only between bytecodes, never while Qt sleeps in
    ``poll()``; so ``signal.set_wakeup_fd`` writes each signal to a socket whose
    ``QSocketNotifier`` wakes the loop, and the handler runs in the slot that drains it.
    A no-op on Windows and off the main thread (where Python cannot take signals)."""
    import threading

    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return lambda: None
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier, QTimer

    read, write = socket.socketpair()
    read.setblocking(False)
    write.setblocking(False)
    previous_fd = signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(read.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        try:
            while read.recv(512):
                pass
        except OSError:  # BlockingIOError: nothing left
            pass

    notifier.activated.connect(drain)

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, callback)  # from the loop, not from inside the handler

    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, handler) for signum in signums}

    def restore() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        read.close()
        write.close()

    return restore

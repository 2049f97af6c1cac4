"""The command line: parsing, --version/--help, mistakes; the whole app as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app import __version__
from app.gui.main import Options, main, parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"emberterm {__version__}"


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for option in ("-e CMD", "--hold", "--cwd", "--geometry", "--title", "--config",
                   "--version", "--help"):
        assert option in out


def test_everything_after_e_is_the_command() -> None:
    options = parse_args(["--title", "t", "-e", "sh", "-c", "exit 3", "--hold"])
    assert options.command == ["sh", "-c", "exit 3", "--hold"]
    assert options.hold is False
    assert options.title == "t"


def test_defaults() -> None:
    assert parse_args([]) == Options(None, False, None, None, None, "", None)


def test_geometry_and_cwd(tmp_path: Path) -> None:
    options = parse_args(["--geometry", "100x30", "--cwd", str(tmp_path), "--hold"])
    assert (options.columns, options.rows) == (100, 30)
    assert options.cwd == str(tmp_path)
    assert options.hold


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--geometry", "wide"], "expected COLSxROWS"),
        (["--geometry", "1x1"], "expected COLSxROWS"),
        (["-e"], "-e needs a command"),
        (["--cwd", "/no/such/dir"], "no such directory"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def _run_app(args: list[str], home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMBERTERM_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )


@pytest.mark.slow
def test_the_app_exits_when_its_only_program_exits(emberterm_home: Path) -> None:
    """-e without --hold: the tab, the window and then the process close by themselves."""
    result = _run_app(["-e", "sh", "-c", "exit 3"], emberterm_home)
    assert result.returncode == 0, result.stderr
    log = (emberterm_home / "logs" / "gui.log").read_text()
    assert "exited with 3" in log
    assert "last window closed" in log


@pytest.mark.slow
def test_a_bad_config_still_starts_and_is_logged(emberterm_home: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[font]\nsize = 'huge'\ncolour = 1\n")
    result = _run_app(["--config", str(config), "-e", "true"], emberterm_home)
    assert result.returncode == 0, result.stderr
    assert f"{config}:2: 'font.size' must be a number" in result.stderr
    assert "unknown key 'font.colour'" in result.stderr
    log = (emberterm_home / "logs" / "gui.log").read_text()
    assert "'font.size' must be a number" in log


@pytest.mark.slow
def test_sigterm_ends_the_programs_and_the_app(emberterm_home: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMBERTERM_HOME=str(emberterm_home))
    app = subprocess.Popen(
        [sys.executable, "-m", "app", "-e", "sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        log = emberterm_home / "logs" / "gui.log"
        while not (pid_file.exists() and pid_file.read_text().strip()
                   and log.exists() and "event loop running" in log.read_text()):
            assert time.monotonic() < deadline, "the program never started"
            assert app.poll() is None, app.stderr.read() if app.stderr else ""
            time.sleep(0.05)
        child = int(pid_file.read_text())
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_missing_config_file_given_by_name_is_warned(
    emberterm_home: Path, tmp_path: Path
) -> None:
    result = _run_app(["--config", str(tmp_path / "typo.toml"), "-e", "true"], emberterm_home)
    assert result.returncode == 0, result.stderr
    assert f"{tmp_path / 'typo.toml'}: no such file; using the defaults" in result.stderr


def test_main_in_process_runs_until_the_last_window_closes(
    qapp: Any, emberterm_home: Path, tmp_path: Path
) -> None:
    """The same as the subprocess test, in this process (so coverage sees ``main``)."""
    import asyncio
    import logging

    root = logging.getLogger()
    handlers = list(root.handlers)
    config = tmp_path / "c.toml"
    config.write_text("[font]\nsize = 'x'\n")
    try:
        status = main(["--config", str(config), "--title", "t", "--geometry", "40x10",
                       "--cwd", str(tmp_path), "-e", "sh", "-c", "exit 3"])
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        asyncio.set_event_loop(None)
    assert status == 0
    log = (emberterm_home / "logs" / "gui.log").read_text()
    assert "'font.size' must be a number" in log
    assert "exited with 3" in log


def test_a_signal_is_handled_from_the_event_loop_and_the_old_handlers_come_back(
    qapp: Any,
) -> None:
    import threading

    from PySide6.QtCore import QTimer

    from app.gui.main import run_event_loop

    before = signal.getsignal(signal.SIGHUP)
    got: list[str] = []

    def on_signal() -> None:
        got.append("signal")
        qapp.exit(0)

    # From another thread, so the signal arrives while Qt sleeps in poll(), as a real one.
    sender = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGHUP))
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(lambda: qapp.exit(1))
    give_up.start(10_000)
    sender.start()
    try:
        assert run_event_loop(qapp, on_signal=on_signal) == 0
    finally:
        give_up.stop()
        sender.cancel()
    assert got == ["signal"]
    assert signal.getsignal(signal.SIGHUP) is before


def test_the_event_loop_does_not_load_asyncio() -> None:
    # ~20 ms before the first paint and ~7 MB with ssl, for nothing the GUI uses.
    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.gui.main import run_event_loop\n"
        "app = QApplication([])\n"
        "QTimer.singleShot(0, app.quit)\n"
        "print(run_event_loop(app), 'asyncio' in sys.modules)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0", "False"]

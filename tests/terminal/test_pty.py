"""terminal.pty on real pseudo-terminals running real sh, bash, cat, wc, sleep and stty.

On Linux every test runs twice: reading and writing the master directly, and through a
relay (``spawn(relay=True)``: two ``cat`` processes between the master and our pipes).

Every wait below is a bound against hanging, not an assertion on speed: the helpers poll
the descriptor like an owner would and fail only when the expected output never comes.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from terminal.pty import (
    TERM_PROGRAM_VERSION,
    Pty,
    SpawnError,
    WriteQueueFullError,
    default_argv,
    spawn,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")

BOUND = 30.0  # seconds: generous, so a loaded machine does not fail a correct program


class Spawned(list[Pty]):
    relay = False


@pytest.fixture(
    params=[False, True] if sys.platform.startswith("linux") else [False],
    ids=lambda relay: "relay" if relay else "direct",
)
def ptys(request: pytest.FixtureRequest) -> Iterator[list[Pty]]:
    """Ptys a test spawned; closed (terminated and reaped) whatever the test's outcome."""
    spawned = Spawned()
    spawned.relay = request.param
    yield spawned
    for pty in spawned:
        pty.close()


def start(ptys: list[Pty], argv: list[str] | None, **kwargs: object) -> Pty:
    kwargs.setdefault("relay", getattr(ptys, "relay", False))
    pty = spawn(argv, **kwargs)  # type: ignore[arg-type]
    ptys.append(pty)
    return pty


def pump(pty: Pty, until: Callable[[bytes], bool], bound: float = BOUND) -> bytes:
    """Read (and flush queued input) like an owner until ``until(output)`` or EOF."""
    out = bytearray()
    waited = 0.0
    while not until(bytes(out)):
        if pty.eof:
            break
        writers = [pty.write_fd] if pty.wants_write else []
        readable, writable, _ = select.select([pty.fd], writers, [], 0.5)
        if not readable and not writable:
            waited += 0.5
            if waited > bound:
                break
            continue
        if writable:
            pty.flush()
        if readable:
            out += pty.read()
    return bytes(out)


def read_until(pty: Pty, needle: bytes) -> bytes:
    out = pump(pty, lambda data: needle in data)
    assert needle in out, f"{needle!r} never came; got {out[-400:]!r}"
    return out


def read_to_eof(pty: Pty) -> bytes:
    out = pump(pty, lambda data: False)
    assert pty.eof, f"no EOF; got {out[-400:]!r}"
    return out


def open_fds() -> dict[str, str]:
    """Our descriptors and what they point at (the listing's own, closed by now, left out)."""
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:
            continue
    return fds


def zombie_children() -> list[int]:
    zombies = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            for child in f.read().split():
                with open(f"/proc/{child}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                        zombies.append(int(child))
    return zombies


def children() -> set[int]:
    """Our child processes, running or not yet reaped."""
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            found.update(int(child) for child in f.read().split())
    return found


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


# -- round trips ----------------------------------------------------------------------
def test_echo_round_trip_through_a_shell(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sh"])
    pty.write(b"echo round-trip-$((20 + 22))\n")
    # The arithmetic proves the shell ran the line, not only that the tty echoed it.
    read_until(pty, b"round-trip-42")


def test_read_returns_nothing_without_blocking_when_there_is_no_output(
    ptys: list[Pty],
) -> None:
    pty = start(ptys, ["cat"])
    assert pty.read() == b""
    assert not pty.eof


def test_exit_status_of_sh_exit_7(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sh", "-c", "exit 7"])
    read_to_eof(pty)
    assert pty.wait(BOUND) == 7
    assert pty.exit_status == 7


def test_output_written_just_before_exit_is_not_lost(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sh", "-c", "printf 'last words'"])
    assert b"last words" in read_to_eof(pty)


# -- size -----------------------------------------------------------------------------
def test_child_starts_with_the_requested_size(ptys: list[Pty]) -> None:
    pty = start(ptys, ["stty", "size"], cols=91, rows=33)
    assert b"33 91" in read_to_eof(pty)


def test_input_is_utf8_for_the_line_editor(ptys: list[Pty]) -> None:
    pty = start(ptys, ["stty", "-a"])
    assert b" iutf8" in read_to_eof(pty)  # set, not "-iutf8"


def test_stty_size_reports_the_size_after_resize(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sh"], cols=80, rows=24)
    pty.resize(132, 43)
    pty.write(b"stty size\n")
    read_until(pty, b"43 132")
    assert pty.size == (132, 43)


def test_resize_sends_sigwinch_to_the_foreground_program(ptys: list[Pty]) -> None:
    script = "trap 'echo got-winch' WINCH; echo ready; while :; do sleep 0.05; done"
    pty = start(ptys, ["bash", "--norc", "--noprofile", "-c", script])
    read_until(pty, b"ready")
    pty.resize(100, 30)
    read_until(pty, b"got-winch")


def test_resize_refuses_a_size_below_one(ptys: list[Pty]) -> None:
    pty = start(ptys, ["cat"])
    with pytest.raises(ValueError):
        pty.resize(0, 24)


# -- input ----------------------------------------------------------------------------
def test_ctrl_c_interrupts_sleep(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sleep", "100"])
    pty.write(b"\x03")
    read_to_eof(pty)
    assert pty.wait(BOUND) == -signal.SIGINT


def test_ten_mib_paste_reaches_wc_complete(ptys: list[Pty]) -> None:
    # Echo off so that the count is the only output; lines stay far below the 4 KiB
    # limit of a canonical-mode line.
    pty = start(ptys, ["sh", "-c", "stty -echo; echo ready; wc -c"])
    read_until(pty, b"ready")
    line = b"x" * 99 + b"\n"
    paste = line * (10 * 1024 * 1024 // len(line))
    pty.write(paste)
    # The tty takes a few KiB at once: the rest waits, and write() came back anyway.
    assert pty.wants_write
    assert 0 < pty.pending_write_bytes <= len(paste)
    pty.write(b"\x04")  # end of file for wc, queued behind the paste
    out = read_to_eof(pty)
    assert out.split()[-1] == str(len(paste)).encode()
    assert pty.pending_write_bytes == 0


def test_paste_with_echo_on_does_not_deadlock(ptys: list[Pty]) -> None:
    # With echo on the tty sends every byte back: the owner must read while it writes,
    # which ``pump`` does, and nothing may be lost either way.
    pty = start(ptys, ["wc", "-l"])
    lines = 20000
    pty.write(b"abcdefghij\n" * lines + b"\x04")
    out = read_to_eof(pty)
    assert out.split()[-1] == str(lines).encode()


def test_write_queue_is_bounded(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sleep", "100"], max_pending_write=64 * 1024)
    with pytest.raises(WriteQueueFullError):
        for _ in range(1000):  # sleep reads nothing, so the queue only grows
            pty.write(b"y" * 1023 + b"\n")
    assert pty.pending_write_bytes <= 64 * 1024


# -- errors ---------------------------------------------------------------------------
def test_a_command_line_string_or_an_empty_size_is_refused(ptys: list[Pty]) -> None:
    with pytest.raises(TypeError, match="sequence"):
        start(ptys, "sh -c true")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        start(ptys, ["sh"], cols=0)
    assert ptys == []


def test_missing_program_raises_spawn_error_naming_it(ptys: list[Pty]) -> None:
    with pytest.raises(SpawnError, match="no-such-program-xyz") as info:
        start(ptys, ["no-such-program-xyz", "--flag"])
    assert info.value.what == "no-such-program-xyz"


def test_bad_cwd_raises_spawn_error_naming_it(ptys: list[Pty], tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with pytest.raises(SpawnError, match="gone") as info:
        start(ptys, ["sh"], cwd=missing)
    assert info.value.what == str(missing)


def test_failed_spawns_leak_no_descriptor_and_no_process(ptys: list[Pty], tmp_path: Path) -> None:
    # The last one passes every check before the fork and fails in exec itself.
    broken = tmp_path / "broken"
    broken.write_text("#!/no/such/interpreter\n")
    broken.chmod(0o755)
    before = open_fds()
    for argv, cwd in (
        (["no-such-program-xyz"], None),
        (["sh"], tmp_path / "gone"),
        ([str(broken)], None),
    ):
        with pytest.raises(SpawnError):
            start(ptys, argv, cwd=cwd)
    assert open_fds() == before
    assert zombie_children() == []


# -- lifetime -------------------------------------------------------------------------
def test_terminate_hangs_up_reaps_and_releases_the_descriptor(ptys: list[Pty]) -> None:
    before = open_fds()
    pty = start(ptys, ["sleep", "100"])
    opened = {fd: target for fd, target in open_fds().items() if fd not in before}
    assert "/dev/ptmx" in opened.values()
    assert {str(pty.fd), str(pty.write_fd)} <= set(opened)
    relays = pty.relay_pids  # type: ignore[attr-defined]
    assert len(relays) == (2 if getattr(ptys, "relay", False) else 0)
    status = pty.terminate()
    assert status == -signal.SIGHUP
    assert reaped(pty.pid)
    assert pty.closed
    assert open_fds() == before
    assert all(reaped(pid) for pid in relays)
    assert zombie_children() == []


def test_terminate_kills_a_child_that_ignores_the_hangup(ptys: list[Pty]) -> None:
    pty = start(ptys, ["sh", "-c", "trap '' HUP; echo ready; sleep 100"])
    read_until(pty, b"ready")
    assert pty.terminate(grace=0.2) == -signal.SIGKILL
    assert reaped(pty.pid)
    assert zombie_children() == []


def test_write_after_close_raises_and_close_is_idempotent(ptys: list[Pty]) -> None:
    pty = start(ptys, ["cat"])
    pty.close()
    pty.close()
    assert pty.read() == b""
    with pytest.raises(Exception, match="closed"):
        pty.write(b"x")


# -- what runs in it ------------------------------------------------------------------
def test_foreground_process_name_cwd_and_busy_on_linux(ptys: list[Pty], tmp_path: Path) -> None:
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs /proc")
    work = tmp_path / "work dir"
    work.mkdir()
    env = dict(os.environ, PS1="$ ")
    pty = start(ptys, ["bash", "--norc", "--noprofile", "-i"], cwd=tmp_path, env=env)
    pty.write(b"echo shell-up\n")
    read_until(pty, b"shell-up\r\n")
    assert pty.foreground_process_name() == "bash"
    assert pty.cwd() == str(tmp_path)
    assert not pty.is_busy()
    # An interactive shell gives a job its own process group and the terminal's
    # foreground; the job runs in the directory the shell moved to.
    pty.write(b"cd 'work dir' && echo moved && sleep 100\n")
    read_until(pty, b"moved")
    pump(pty, lambda _: pty.foreground_process_name() == "sleep")
    assert pty.foreground_process_name() == "sleep"
    assert pty.cwd() == str(work)
    assert pty.is_busy()


def test_child_environment_identifies_the_terminal(ptys: list[Pty]) -> None:
    env = {"PATH": os.environ["PATH"], "EXTRA": "kept", "COLUMNS": "5", "LINES": "5"}
    script = 'echo "[$TERM|$COLORTERM|$TERM_PROGRAM|$TERM_PROGRAM_VERSION|$EXTRA|${COLUMNS-no}]"'
    pty = start(ptys, ["sh", "-c", script], env=env)
    out = read_to_eof(pty)
    expected = f"[xterm-256color|truecolor|emberterm|{TERM_PROGRAM_VERSION}|kept|no]"
    assert expected.encode() in out
    assert TERM_PROGRAM_VERSION


def test_default_program_is_shell_then_passwd_then_bin_sh(ptys: list[Pty]) -> None:
    import pwd

    assert default_argv({"SHELL": "/some/shell"}) == ["/some/shell"]
    passwd_shell = pwd.getpwuid(os.getuid()).pw_shell
    assert default_argv({}) == [passwd_shell or "/bin/sh"]
    cat = shutil.which("cat")
    assert cat is not None
    pty = start(ptys, None, env=dict(os.environ, SHELL=cat))
    assert pty.argv == (cat,)
    pty.write(b"through-cat\n")
    read_until(pty, b"through-cat\r\nthrough-cat\r\n")  # the tty's echo, then cat's


# -- ptyprocess and what this backend does around it ----------------------------------
# ptyprocess 0.7 searches our PATH, runs an unguarded chdir in the forked child and leaves
# the child of a failed exec unreaped (docs/decisions/0009-posix-pty-on-ptyprocess.md);
# each test below fails if the matching workaround in terminal/_pty_posix.py goes.
def test_program_is_found_on_the_childs_path_not_ours(ptys: list[Pty], tmp_path: Path) -> None:
    bindir = tmp_path / "child-bin"
    bindir.mkdir()
    tool = bindir / "only-on-child-path"
    tool.write_text("#!/bin/sh\necho child-path-ok\n")
    tool.chmod(0o755)
    assert shutil.which(tool.name) is None  # not on ours
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    pty = start(ptys, [tool.name], env=env)
    assert b"child-path-ok" in read_to_eof(pty)
    assert pty.argv == (tool.name,)
    # ...and a program only on our PATH is not found on the child's.
    with pytest.raises(SpawnError) as info:
        start(ptys, ["cat"], env={"PATH": str(bindir)})
    assert info.value.what == "cat"


def test_a_relative_program_runs_from_the_childs_directory(ptys: list[Pty], tmp_path: Path) -> None:
    tool = tmp_path / "here"
    tool.write_text("#!/bin/sh\necho relative-ok\n")
    tool.chmod(0o755)
    assert not os.path.exists("here")  # our directory is not the child's
    pty = start(ptys, ["./here"], cwd=tmp_path)
    assert b"relative-ok" in read_to_eof(pty)


def test_a_directory_that_vanishes_after_the_check_fails_cleanly(
    ptys: list[Pty], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the directory were removed between check_cwd and the fork: the chdir in the
    # child fails, and must come back as a SpawnError, not as a copy of us running on.
    import terminal._pty_posix as backend

    missing = tmp_path / "vanished"
    monkeypatch.setattr(backend, "check_cwd", lambda cwd: None if cwd is None else str(cwd))
    before_fds, before_children = open_fds(), children()
    with pytest.raises(SpawnError, match="vanished") as info:
        start(ptys, ["sh", "-c", "echo should-not-run"], cwd=missing)
    assert info.value.what == str(missing)
    assert open_fds() == before_fds
    assert children() == before_children


def test_a_failed_exec_reaps_its_child(ptys: list[Pty], tmp_path: Path) -> None:
    # Passes every check before the fork (it is an executable file) and fails in exec.
    broken = tmp_path / "broken"
    broken.write_text("#!/no/such/interpreter\n")
    broken.chmod(0o755)
    before_fds, before_children = open_fds(), children()
    with pytest.raises(SpawnError, match="broken") as info:
        start(ptys, [str(broken)])
    assert info.value.what == str(broken)
    assert children() == before_children  # neither running nor a zombie
    assert zombie_children() == []
    assert open_fds() == before_fds


def test_ptyprocess_raising_in_the_child_does_not_leave_a_copy_of_us(
    ptys: list[Pty], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ptyprocess.ptyprocess as impl

    us = os.getpid()
    real = impl._setwinsize

    def failing_in_the_child(fd: int, rows: int, cols: int) -> None:
        if os.getpid() != us:
            # Should the guard ever go, this copy of pytest dies soon instead of running
            # the rest of the suite (and the status below is not 127).
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(10)
            raise OSError(errno.EPERM, "refused in the child")
        real(fd, rows, cols)

    monkeypatch.setattr(impl, "_setwinsize", failing_in_the_child)
    pty = start(ptys, ["sh", "-c", "echo should-not-run"])
    assert b"should-not-run" not in read_to_eof(pty)
    assert pty.wait(BOUND) == 127


def test_the_master_is_not_inherited_by_other_programs(ptys: list[Pty]) -> None:
    # forkpty's master is inheritable; a program started later would keep the terminal
    # open, and its EOF would never come.
    pty = start(ptys, ["cat"])
    assert not os.get_inheritable(pty.fd)
    assert not os.get_blocking(pty.fd)


def test_the_child_gets_sigpipe_back(ptys: list[Pty]) -> None:
    # Python ignores SIGPIPE and ptyprocess does not restore it: yes would then report
    # "Broken pipe" and exit 1 instead of dying of the signal (128 + 13).
    script = 'yes | head -n 1 >/dev/null; echo "[${PIPESTATUS[0]}]"'
    pty = start(ptys, ["bash", "--norc", "--noprofile", "-c", script])
    assert b"[141]" in read_to_eof(pty)


def test_wait_with_a_timeout_returns_none_while_the_child_runs(ptys: list[Pty]) -> None:
    pty = start(ptys, ["cat"])
    assert pty.wait(0.05) is None
    assert pty.exit_status is None
    pty.write(b"\x04")
    read_to_eof(pty)
    assert pty.wait(BOUND) == 0


# -- the relay (Linux) ----------------------------------------------------------------
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl, /proc")


@linux_only
def test_a_relayed_flood_arrives_whole_and_in_order(ptys: list[Pty], tmp_path: Path) -> None:
    lines = [f"line {i} " + "x" * (i % 97) for i in range(60_000)]
    path = tmp_path / "flood.txt"
    path.write_text("\n".join(lines) + "\n")
    pty = start(ptys, ["cat", str(path)])
    out = read_to_eof(pty)
    assert out.split(b"\r\n")[:-1] == [line.encode() for line in lines]


@linux_only
def test_a_relay_dies_with_its_owner_and_the_shell_gets_its_hangup(tmp_path: Path) -> None:
    """A worker killed with SIGKILL must not leave its relays holding terminals open:
    they die with it (PR_SET_PDEATHSIG), the terminal closes, the shell is hung up."""
    import subprocess
    import time

    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from terminal.pty import spawn\n"
            "pty = spawn(['sh', '-c', 'echo ready; exec sleep 300'], relay=True)\n"
            "print(pty.pid, *pty.relay_pids, flush=True)\n"
            "time.sleep(300)\n",
        ],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert owner.stdout is not None
    pids = [int(pid) for pid in owner.stdout.readline().split()]
    assert len(pids) == 3
    for pid in pids:
        os.kill(pid, 0)  # all running
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + BOUND
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in pids if Path(f"/proc/{pid}").exists()
                 and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]]
    assert alive == [], "the shell or a relay outlived its owner"


def _wait_reaped_or_gone(pid: int) -> None:
    import time

    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state == "Z":
            return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} still runs")


@linux_only
@pytest.mark.parametrize("which", ["output", "input"])
def test_a_relay_killed_on_its_own_leaves_the_terminal_working(which: str) -> None:
    """Someone kills one of the relay's ``cat``s: the shell lives on, so the terminal
    must too -- read and written directly from then on, under the same descriptor
    numbers (the worker's notifiers watch them) -- and nothing leaks at the end."""
    before = open_fds()
    pty = spawn(["sh"], env={**os.environ, "PS1": "$ "}, relay=True)
    try:
        fd, write_fd = pty.fd, pty.write_fd
        reader, writer = pty.relay_pids  # type: ignore[attr-defined]
        pty.write(b"echo ready-$((6*7))\n")
        read_until(pty, b"ready-42")
        os.kill(reader if which == "output" else writer, signal.SIGKILL)
        _wait_reaped_or_gone(reader if which == "output" else writer)
        if which == "output":
            # The pipe's end shows first: the read that meets it hands over to the master.
            pump(pty, lambda data: False, bound=1.0)
        pty.write(b"echo alive-$((40+2))\n")
        out = read_until(pty, b"alive-42")
        assert not pty.eof, out
        assert pty.relay_pids == []  # type: ignore[attr-defined]
        assert (pty.fd, pty.write_fd) == (fd, write_fd)
        pty.resize(100, 30)
        pty.write(b"stty size; exit 3\n")
        out = read_to_eof(pty)
        assert b"30 100" in out
        assert pty.wait(BOUND) == 3
    finally:
        pty.close()
    assert open_fds() == before


def test_without_a_relay_there_is_one_descriptor() -> None:
    pty = spawn(["true"])
    try:
        assert pty.fd == pty.write_fd
        assert pty.relay_pids == []  # type: ignore[attr-defined]
    finally:
        pty.close()

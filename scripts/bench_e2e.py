#!/usr/bin/env python3
"""End-to-end benchmark: the offscreen GUI, a real worker and real shells on PTYs.

A report, not a gate: it prints a table with each number beside its target and PASS/FAIL,
writes the numbers as JSON (``--json``, default ``bench-results/e2e.json``) and exits 0
whatever they are (a phase that breaks is reported with its error).

It runs under ``QT_QPA_PLATFORM=offscreen`` with a private ``EMBERTERM_HOME`` (a temporary
directory, removed at the end) and ``EMBERTERM_WORKER_QUIET_EXIT=5``, and kills the worker
it started at the end. Tabs run ``sh`` with the plain prompt ``bench$ `` and the default
``stty`` (the kernel echoes typed keys). What is measured:

* **cat throughput**: a deterministic corpus file (plain ASCII lines of varied length,
  like bench_emulator's ``ascii``; ``--size-mb``) is ``cat`` in a shell tab of an
  in-process window (``AppState`` + ``WorkerLink``, a real ``TerminalView`` shown
  offscreen), timed from writing the command to the paint of the view that first shows
  the marker echoed after it. Beside it, in the same run: the same bytes (with the
  PTY's CR LF) fed to ``terminal.emulator.Emulator(80, 24, history=10000)`` in 64 KiB
  chunks in this process (the emulator-alone figure), and ``cat`` through a bare PTY
  drained without emulation (the floor), and ``cat FILE > /dev/null``. And the
  **ceiling**: ``cat`` on a PTY read as the worker reads it (the relay, 128 KiB per turn)
  by a consumer that only burns, per byte, the CPU the emulator alone took: what a stack
  with no overhead of its own (no frames, store, GUI) reaches on this machine, where the
  PTY, ``cat`` and the relay share the CPUs with the parser. Its ratio to the emulator
  alone bounds what the cat target can show here. The stack's row also gives the CPU the
  worker's main thread and its other threads (the store's writer), the GUI and all CPUs
  together spent during the ``cat``, and how long the worker's main thread was ready to
  run but waited for a CPU (``/proc/PID/task/PID/schedstat``: the parser preempted by
  ``cat``, the relay, the kernel's tty work, the store or the GUI). ``--only
  throughput`` runs just these.
* **keystroke -> painted echo**: printable keys sent to the view with ``QTest.keyClick``
  (so through ``keyPressEvent``, ``terminal.keys``, the client, the worker, the PTY's
  echo, a frame, the replica) until a paint of the view shows the new character at the
  cursor. Keys are spaced 40-60 ms apart (a fast typist), so each measures an idle
  echo, not the frame pacing of the one before; Ctrl+U clears the line every 20 keys.
  Then again while a second tab runs ``while :; do cat FILE; done``.
* **event-loop stall**: a 5 ms precise ``QTimer`` in the GUI records the gaps between
  its firings while the visible tab ``cat``s ``--stall-mb``.
* **memory**: a fresh GUI process (``app.gui.main.main``, as ``emberterm`` runs it) with
  a fresh worker ``cat``s ``--mem-mb`` with 10,000 lines of history; PSS of both (from
  ``/proc/PID/smaps_rollup``), their sum, USS and RSS for reference. Measured twice: 0.5 s
  after the last line is painted (the flood's garbage still in the heaps) and at rest,
  ``MEMORY_SETTLE_MS`` later, once both hosts have given back what the burst freed (they
  ``malloc_trim`` after a second without output); the verdict is on the state at rest,
  what the terminal costs while it holds the history. Both are printed.
* **start to first prompt painted**: a fresh ``python`` running ``app.gui.main.main``
  (this script in ``--child startup`` mode, which only hooks ``TerminalView.paintEvent``),
  from just before the parent starts it to the first paint that shows the prompt; with
  a worker already running, and with none (socket removed). Median of ``--runs``, after
  one warm-up run. The child imports nothing ``emberterm`` would not before ``main()``
  (the view is hooked as main's own import executes it, so main still starts the worker
  before it loads Qt). Started processes may write bytecode, as after any install, even
  where ``PYTHONDONTWRITEBYTECODE`` is set (this sandbox, ``scripts/test``); ``--no-pyc``
  measures emberterm's modules compiled at every start instead.

Memory and start-up run before this process imports Qt, so that PSS is not shared with
the benchmark itself. ``--profile FILE`` profiles the GUI (this process) with cProfile
during the cat throughput run and prints the top functions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MB = 1_000_000
KIB = 1024
CHUNK = 64 * KIB
HISTORY = 10_000
PROMPT = "bench$ "
SHELL = ["/usr/bin/env", f"PS1={PROMPT}", "sh"]

MEMORY_SETTLE_MS = 3000  # the hosts trim the heap after 1-2 s without output
TARGETS = {
    "throughput_ratio": 0.90,  # stack MB/s / emulator-alone MB/s
    "latency_idle_p50_ms": 5.0,
    "latency_idle_p99_ms": 16.0,
    "latency_flood_p99_ms": 33.0,
    "stall_max_ms": 50.0,
    "memory_pss_mb": 110.0,
    "startup_worker_running_s": 0.3,
    "startup_no_worker_s": 0.6,
}



# -- corpus ----------------------------------------------------------------------------
def corpus_block(size: int, seed: int) -> bytes:
    """bench_emulator's ``ascii`` corpus (plain lines of 0-200 characters) with LF
    endings: the PTY turns them into CR LF, so the emulator sees the same bytes."""
    import bench_emulator  # the same corpus as the emulator-alone benchmark

    data = bench_emulator.corpus_ascii(size, random.Random(f"{seed}-e2e"))
    return data.replace(b"\r\n", b"\n")


def make_corpus_file(path: Path, size: int, seed: int) -> Path:
    """``size`` bytes (whole lines): a 2 MB block of lines repeated."""
    if path.exists() and path.stat().st_size == size:
        return path
    block = corpus_block(min(size, 2 * MB), seed)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            piece = block[:left]
            f.write(piece)
            left -= len(piece)
    data = path.read_bytes()
    if not data.endswith(b"\n"):  # end on a whole line
        path.write_bytes(data[: data.rfind(b"\n") + 1])
    return path


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# -- without the GUI ---------------------------------------------------------------------
def emulator_alone(path: Path) -> dict[str, Any]:
    """MB/s (of the file's bytes) of ``Emulator(80, 24, history=10000)`` fed in 64 KiB."""
    import gc

    from terminal.emulator import Emulator

    data = path.read_bytes().replace(b"\n", b"\r\n")  # what the PTY delivers (onlcr)
    size = path.stat().st_size
    emu = Emulator(80, 24, history=HISTORY)
    gc.collect()
    start = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        emu.feed(data[i : i + CHUNK])
    seconds = time.perf_counter() - start
    return {"bytes": size, "seconds": seconds, "mbps": size / MB / seconds}


def pty_floor(path: Path) -> dict[str, Any]:
    """``cat FILE`` on a PTY, the master drained in 64 KiB reads, nothing parsed."""
    master, slave = os.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["cat", str(path)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    got = 0
    while True:
        try:
            chunk = os.read(master, CHUNK)
        except OSError:  # EIO: the slave side closed
            break
        if not chunk:
            break
        got += len(chunk)
    proc.wait()
    seconds = time.perf_counter() - start
    os.close(master)
    size = path.stat().st_size
    return {"bytes": size, "pty_bytes": got, "seconds": seconds, "mbps": size / MB / seconds}


def pty_ceiling(path: Path, emulator_mbps: float) -> dict[str, Any]:
    """``cat FILE`` on a PTY read the way the worker reads it (``terminal.pty.spawn`` with
    the relay, up to ``READ_BUDGET`` per turn), by a consumer that spends on each byte
    exactly the CPU the emulator alone spent (a busy loop on this thread's CPU clock) and
    does nothing else: no frames, no store, no GUI. What a stack without any overhead of
    its own could reach on this machine, where the PTY and the relay share the CPUs with
    the parser; its ratio to the emulator alone is the most the cat target can show here.
    Also the CPU the PTY side (``cat``, the relay, the kernel) used meanwhile."""
    import select

    from app.worker.host import READ_BUDGET
    from terminal.pty import spawn

    per_byte = 1.0 / (emulator_mbps * MB)
    busy = machine_busy_seconds()
    own = time.thread_time()
    start = time.perf_counter()
    pty = spawn(["cat", str(path)], relay=True)
    got = 0
    try:
        while not pty.eof:
            select.select([pty.fd], [], [], 1.0)
            data = pty.read(READ_BUDGET)
            got += len(data)
            until = time.thread_time() + len(data) * per_byte
            while time.thread_time() < until:
                pass
        pty.wait(10)
    finally:
        pty.close()
    seconds = time.perf_counter() - start
    consumer = time.thread_time() - own
    size = path.stat().st_size
    mbps = size / MB / seconds
    return {
        "bytes": size,
        "pty_bytes": got,
        "seconds": seconds,
        "mbps": mbps,
        "ratio": mbps / emulator_mbps,
        "consumer_cpu_s": consumer,
        "pty_side_cpu_s": machine_busy_seconds() - busy - consumer,
    }


def cat_devnull(path: Path) -> dict[str, Any]:
    start = time.perf_counter()
    subprocess.run(["sh", "-c", f"cat '{path}' > /dev/null"], check=False)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    return {"bytes": size, "seconds": seconds, "mbps": size / MB / seconds}


def mem_of(pid: int) -> dict[str, float]:
    """Rss, Pss and USS (private clean + dirty) of ``pid`` in MB (MiB-free: 10^6 bytes)."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1]) * 1024
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {
        "rss_mb": fields.get("Rss", 0) / MB,
        "pss_mb": fields.get("Pss", 0) / MB,
        "uss_mb": uss / MB,
    }


def relays_mem(worker: int) -> dict[str, float]:
    """Rss, Pss and USS summed over the worker's relay ``cat``s (``worker.relay``): part
    of what the terminal costs, so counted with the worker."""
    total = {"rss_mb": 0.0, "pss_mb": 0.0, "uss_mb": 0.0, "count": 0.0}
    try:
        kids = Path(f"/proc/{worker}/task/{worker}/children").read_text().split()
    except OSError:
        return total
    for kid in kids:
        try:
            if Path(f"/proc/{kid}/comm").read_text().strip() != "cat":
                continue
            mem = mem_of(int(kid))
        except OSError:
            continue
        for key, value in mem.items():
            total[key] += value
        total["count"] += 1
    return total


# -- the worker --------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (0.0 if it is gone)."""
    return cpu_seconds_of(f"/proc/{pid}/stat")


def cpu_seconds_of(stat: str) -> float:
    """User + system CPU seconds in a ``/proc/.../stat`` file (0.0 if it is gone)."""
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy (not idle, not waiting for I/O) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds so far of ``pid``'s main thread and of its other threads together
    (Python 3.11 does not name threads for the kernel)."""
    out: dict[str, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        name = "main" if tid == str(pid) else "others"
        out[name] = out.get(name, 0.0) + cpu_seconds_of(f"/proc/{pid}/task/{tid}/stat")
    return out


def waited_to_run_seconds(pid: int) -> float:
    """Seconds ``pid``'s main thread has spent runnable but waiting for a CPU (schedstat)."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def worker_pid(home: Path) -> int:
    try:
        pid = int((home / "run" / "worker.lock").read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
    if not pid:
        return 0
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return 0
    return pid


def kill_worker(home: Path, timeout: float = 5.0) -> None:
    """Stop the worker of ``home`` (SIGTERM, then SIGKILL) and remove its socket."""
    pid = worker_pid(home)
    if pid:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid = 0
        deadline = time.monotonic() + timeout
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        else:
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    from app.paths import state_paths

    sock = state_paths().socket_name
    try:
        os.unlink(sock)
    except OSError:
        pass


def start_worker(home: Path) -> subprocess.Popen[bytes]:
    """A worker that stays up (no quiet exit) until killed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.worker", "--quiet-exit", "0"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if "listening" not in line:
        raise RuntimeError(f"the worker did not start: {line!r}")
    return proc


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("ENV", None)
    # An installed emberterm has its bytecode compiled (pip does it at install; a source
    # checkout writes it on first run). Some environments (this sandbox, scripts/test)
    # forbid writing it, and then every start compiles every module again, ~80 ms that
    # no user pays; the warm-up start writes it here.
    if os.environ.get("BENCH_E2E_NO_PYC"):
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# -- child processes: a real ``emberterm`` start with a paint hook -------------------------
def run_child(mode: str, timeout: float, **extra: str) -> dict[str, Any]:
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode],
        cwd=ROOT,
        env=child_env(BENCH_E2E_T0=repr(t0), **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-E2E "):
            return dict(json.loads(line[len("BENCH-E2E ") :]))
    raise RuntimeError(
        f"child {mode} said nothing (status {proc.returncode}): {proc.stderr[-2000:]}"
    )


def _hook_on_import(name: str, patch: Callable[[Any], None]) -> None:
    """Run ``patch(module)`` right after module ``name`` executes, whoever imports it."""
    import importlib.abc
    import importlib.util

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            assert spec is not None and spec.loader is not None
            execute = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                execute(module)
                patch(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Finder())


def child_main(mode: str) -> int:
    """In a fresh process: ``app.gui.main.main`` as ``emberterm`` runs it, with the view's
    ``paintEvent`` hooked to see the prompt (start-up) or the end of a ``cat`` (memory)."""
    entered = time.time()
    t0 = float(os.environ["BENCH_E2E_T0"])
    report: dict[str, Any] = {"python_ready_s": entered - t0}
    marker = "MARK-2001"
    stage = ["prompt"]

    def finish() -> None:
        print("BENCH-E2E " + json.dumps(report), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # main's handler: shut down, leave the loop

    def measure_memory(settled: bool = False) -> None:
        from PySide6.QtCore import QTimer

        from app.paths import state_paths

        pid = int(state_paths().lock_file.read_text().strip() or 0)
        if not settled:
            report["just_after"] = {
                "gui": mem_of(os.getpid()), "worker": mem_of(pid), "relays": relays_mem(pid)
            }
            QTimer.singleShot(MEMORY_SETTLE_MS, lambda: measure_memory(True))
            return
        report["gui"] = mem_of(os.getpid())
        report["worker"] = mem_of(pid)
        report["relays"] = relays_mem(pid)
        finish()

    def hooked(base: type) -> type:
        class Hooked(base):  # type: ignore[misc, valid-type]
            def paintEvent(self, event: Any) -> None:  # Qt's name
                super().paintEvent(event)
                if stage[0] == "prompt" and PROMPT.strip() in "\n".join(self.replica.display()):
                    stage[0] = "cat"
                    report["first_prompt_s"] = time.time() - t0
                    report["grid"] = list(self.grid_size())
                    if mode == "startup":
                        stage[0] = "done"
                        finish()
                    else:
                        report["cat_started"] = time.time()
                        path = os.environ["BENCH_E2E_FILE"]
                        self.handle.write(f"cat '{path}'; echo MARK-$((2000+1))\n".encode())
                elif stage[0] == "cat" and marker in "\n".join(self.replica.display()):
                    stage[0] = "done"
                    report["cat_s"] = time.time() - report.pop("cat_started")
                    report["history_lines"] = self.replica.history_size
                    from PySide6.QtCore import QTimer

                    QTimer.singleShot(500, measure_memory)  # the last frames, then at rest

        return Hooked

    # Importing app.gui.view here would load Qt before main() runs, and main() starts the
    # worker before it loads Qt: the view is hooked as main's own import executes it.
    _hook_on_import("app.gui.view", lambda module: setattr(
        module, "TerminalView", hooked(module.TerminalView)))
    from app.gui.main import main as gui_main

    config = Path(os.environ["EMBERTERM_HOME"]) / "bench-config.toml"
    return gui_main(["--config", str(config)])


def write_config(home: Path) -> None:
    args = ", ".join(json.dumps(a) for a in SHELL[1:])
    (home / "bench-config.toml").write_text(
        f"[shell]\nprogram = {json.dumps(SHELL[0])}\nargs = [{args}]\n\n"
        f"[scrollback]\nlines = {HISTORY}\n"
    )


def phase_memory(home: Path, path: Path) -> dict[str, Any]:
    kill_worker(home)  # a fresh worker, started by the GUI as at a first start
    got = run_child("memory", 120, BENCH_E2E_FILE=str(path))
    kill_worker(home)
    gui, worker, relays = got["gui"], got["worker"], got["relays"]
    total = gui["pss_mb"] + worker["pss_mb"] + relays["pss_mb"]
    after = got.get("just_after", {})
    return {
        "file_bytes": path.stat().st_size,
        "history_lines": got.get("history_lines"),
        "cat_s": got.get("cat_s"),
        "settle_s": MEMORY_SETTLE_MS / 1000,
        "just_after_pss_total_mb": (
            after["gui"]["pss_mb"] + after["worker"]["pss_mb"] + after["relays"]["pss_mb"]
            if after
            else None
        ),
        "just_after": after,
        "gui": gui,
        "worker": worker,
        "relays": relays,
        "pss_total_mb": total,
        "uss_total_mb": gui["uss_mb"] + worker["uss_mb"] + relays["uss_mb"],
        "rss_total_mb": gui["rss_mb"] + worker["rss_mb"] + relays["rss_mb"],
        "target_mb": TARGETS["memory_pss_mb"],
        "pass": total <= TARGETS["memory_pss_mb"],
    }


def phase_startup(home: Path, runs: int) -> dict[str, Any]:
    def one(worker_running: bool) -> dict[str, Any]:
        if not worker_running:
            kill_worker(home)
        return run_child("startup", 60)

    results: dict[str, Any] = {}
    kill_worker(home)
    one(False)  # warm-up: page cache, .pyc files, the store
    cold = [one(False) for _ in range(runs)]
    kill_worker(home)
    worker = start_worker(home)
    try:
        one(True)  # warm-up with this worker
        warm = [one(True) for _ in range(runs)]
    finally:
        worker.terminate()
        try:
            worker.wait(5)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        kill_worker(home)
    for key, got, target in (
        ("worker_running", warm, "startup_worker_running_s"),
        ("no_worker", cold, "startup_no_worker_s"),
    ):
        times = [g["first_prompt_s"] for g in got]
        median = statistics.median(times)
        results[key] = {
            "runs_s": times,
            "python_ready_s": statistics.median(g["python_ready_s"] for g in got),
            "median_s": median,
            "target_s": TARGETS[target],
            "pass": median <= TARGETS[target],
        }
    return results


# -- the in-process GUI ------------------------------------------------------------------
class Gui:
    """An in-process GUI on the worker, the way ``main`` wires it, with a paint hook."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEventLoop, QTimer
        from PySide6.QtWidgets import QApplication

        from app.config import Config, LoadResult
        from app.gui.app_state import AppState
        from app.gui.view import TerminalView
        from app.gui.worker_link import WorkerLink
        from app.paths import state_paths

        self.QEventLoop, self.QTimer = QEventLoop, QTimer
        self.app = QApplication.instance() or QApplication(["emberterm-bench"])
        self.app.setQuitOnLastWindowClosed(False)
        self.hooks: list[Callable[[Any], None]] = []
        hooks = self.hooks

        class TimedView(TerminalView):
            def paintEvent(self, event: Any) -> None:  # Qt's name
                super().paintEvent(event)
                for hook in list(hooks):
                    hook(self)

        def view_factory(handle: Any, settings: Any) -> Any:
            return TimedView(handle, settings)

        self.link = WorkerLink(state_paths().ensure())
        if not self.link.start(wait=15.0):
            raise RuntimeError("the worker did not start")
        self.state = AppState(
            LoadResult(Config(), []),
            watch=False,
            link=self.link,
            handle_factory=self.link.make_handle,
            view_factory=view_factory,
            confirm=lambda *_: True,
        )
        self._loop: Any = None

    # -- waiting --------------------------------------------------------------------------
    def wake(self) -> None:
        if self._loop is not None:
            self._loop.quit()

    def run_until(self, cond: Callable[[], bool], timeout: float, poll_ms: int = 20) -> bool:
        """Run the event loop until ``cond()`` (checked on a timer and on ``wake``)."""
        deadline = time.perf_counter() + timeout
        if cond():
            return True
        loop = self.QEventLoop()
        timer = self.QTimer()
        timer.setInterval(poll_ms)
        timer.timeout.connect(
            lambda: loop.quit() if cond() or time.perf_counter() > deadline else None
        )
        timer.start()
        self._loop = loop
        while not cond() and time.perf_counter() <= deadline:
            loop.exec()
        self._loop = None
        timer.stop()
        return cond()

    def wait(self, seconds: float) -> None:
        loop = self.QEventLoop()
        self.QTimer.singleShot(max(0, int(seconds * 1000)), loop.quit)
        loop.exec()

    # -- tabs -------------------------------------------------------------------------------
    def shell_window(self) -> tuple[Any, Any]:
        from app.gui.window import Launch

        window = self.state.new_window(Launch(argv=SHELL))
        page = window.pages()[0]
        if not self.run_until(lambda: PROMPT.strip() in screen(page.view), 15):
            raise RuntimeError(f"no prompt: {screen(page.view)!r}")
        self.wait(0.3)
        return window, page

    def close(self) -> None:
        self.state.shutdown()
        self.link.stop()


def screen(view: Any) -> str:
    return "\n".join(view.replica.display())


def cat_through(gui: Gui, view: Any, path: Path, mark: int) -> dict[str, float]:
    """Seconds from writing ``cat FILE; echo MARK-n`` to the paint that shows MARK-n, and
    the CPU seconds the GUI (this process) and the worker spent meanwhile."""
    marker = f"MARK-{mark}"
    done: list[float] = []

    def hook(v: Any) -> None:
        if v is view and not done and marker in screen(v):
            done.append(time.perf_counter())
            gui.wake()

    gui.hooks.append(hook)
    wpid = worker_pid(Path(os.environ["EMBERTERM_HOME"]))
    try:
        cpu = cpu_seconds(os.getpid()), cpu_seconds(wpid)
        threads, busy = thread_cpu_seconds(wpid), machine_busy_seconds()
        queued = waited_to_run_seconds(wpid)
        start = time.perf_counter()
        view.handle.write(f"cat '{path}'; echo MARK-$(({mark - 1}+1))\n".encode())
        size_mb = path.stat().st_size / MB
        if not gui.run_until(lambda: bool(done), timeout=max(60.0, size_mb * 3), poll_ms=50):
            raise RuntimeError(f"{marker} never painted")
        seconds = done[0] - start
        return {
            "seconds": seconds,
            "gui_cpu_s": cpu_seconds(os.getpid()) - cpu[0],
            "worker_cpu_s": cpu_seconds(wpid) - cpu[1],
            "worker_threads_cpu_s": {
                name: round(t - threads.get(name, 0.0), 3)
                for name, t in thread_cpu_seconds(wpid).items()
                if t - threads.get(name, 0.0) > 0
            },
            "machine_busy_s": machine_busy_seconds() - busy,
            # runnable, but another thread or process had the CPU
            "worker_main_waited_for_cpu_s": waited_to_run_seconds(wpid) - queued,
        }
    finally:
        gui.hooks.remove(hook)


def phase_throughput(gui: Gui, view: Any, path: Path, profile: Path | None) -> dict[str, Any]:
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    spy = None
    if profile is not None and shutil.which("py-spy", path=str(Path(sys.executable).parent)):
        pid = worker_pid(Path(os.environ["EMBERTERM_HOME"]))
        out = profile.with_suffix(".worker.txt")
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                "200",
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # attached before the cat starts
    timing = cat_through(gui, view, path, 1001)
    seconds = timing["seconds"]
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
        print(f"py-spy of the worker during the cat: {profile.with_suffix('.worker.txt')}")
    if profiler is not None:
        import pstats

        profiler.disable()
        profiler.dump_stats(str(profile))
        print(f"\nprofile of the GUI during the cat ({seconds:.2f} s), by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    size = path.stat().st_size
    return {"bytes": size, **timing, "mbps": size / MB / seconds, "grid": list(view.grid_size())}


def phase_latency(
    gui: Gui, view: Any, keys: int, seed: int, raw: list[tuple[float, float, float]] | None = None
) -> dict[str, Any]:
    """Keystroke -> painted echo; ``raw`` gets (key sent, frame applied, painted) in
    ``time.perf_counter`` seconds (CLOCK_MONOTONIC: comparable with other processes)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    typed = ""
    latencies: list[float] = []
    expected = [""]
    painted: list[float] = []
    timeouts = 0

    def cursor_line(v: Any) -> tuple[str, int]:
        r = v.replica
        line = r.lines[r.cursor.y] if 0 <= r.cursor.y < len(r.lines) else None
        return (line.text.rstrip() if line is not None else ""), r.cursor.x

    arrived: list[float] = []
    breakdown: list[float] = []

    def shows_key(v: Any) -> bool:
        text, x = cursor_line(v)
        return text == expected[0] and x == len(expected[0])

    def hook(v: Any) -> None:
        if v is view and not painted and shows_key(v):
            painted.append(time.perf_counter())
            gui.wake()

    def on_frame(_frame: Any) -> None:  # connected after the view's: replica is applied
        if not arrived and shows_key(view):
            arrived.append(time.perf_counter())

    def clear_line() -> None:
        QTest.keyClick(view, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
        gui.run_until(lambda: cursor_line(view)[1] == len(PROMPT), 5, poll_ms=5)

    clear_line()
    gui.hooks.append(hook)
    view.handle.frame.connect(on_frame)
    try:
        for i in range(keys):
            if len(typed) >= 20:
                clear_line()
                typed = ""
            gui.wait(rng.uniform(0.040, 0.060))
            ch = letters[i % len(letters)]
            expected[0] = (PROMPT + typed + ch).rstrip()
            painted.clear()
            arrived.clear()
            t0 = time.perf_counter()
            QTest.keyClick(view, ch)
            if gui.run_until(lambda: bool(painted), 3.0, poll_ms=100):
                latencies.append(painted[0] - t0)
                if arrived:
                    breakdown.append(arrived[0] - t0)
                if raw is not None:
                    raw.append((t0, arrived[0] if arrived else float("nan"), painted[0]))
                typed += ch
            else:  # lost sync: start a clean line
                timeouts += 1
                clear_line()
                typed = ""
    finally:
        gui.hooks.remove(hook)
        view.handle.frame.disconnect(on_frame)
        clear_line()
    ms = [s * 1000 for s in latencies]
    frame_ms = [s * 1000 for s in breakdown]
    return {
        "keys": keys,
        "measured": len(ms),
        "timeouts": timeouts,
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms) if ms else float("nan"),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
        # key -> the frame with the echo applied to the replica (the rest is painting)
        "frame_p50_ms": percentile(frame_ms, 0.50),
        "frame_p99_ms": percentile(frame_ms, 0.99),
    }


def phase_latency_flood(
    gui: Gui,
    window: Any,
    view: Any,
    path: Path,
    keys: int,
    seed: int,
    raw: list[tuple[float, float, float]] | None = None,
) -> dict[str, Any]:
    flood = window.open_tab(["sh", "-c", f"while :; do cat '{path}'; done"])
    window.tabs.setCurrentIndex(0)
    gui.run_until(lambda: flood.view.replica.history_total > 1000, 20)
    gui.wait(0.5)
    try:
        got = phase_latency(gui, view, keys, seed + 1, raw)
        got["flood_history_lines"] = flood.view.replica.history_total
    finally:
        window.close_tab(window.tabs.indexOf(flood))
        gui.wait(0.5)
    return got


def phase_stall(gui: Gui, view: Any, path: Path) -> dict[str, Any]:
    from PySide6.QtCore import Qt, QTimer

    stamps: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start()
    try:
        timing = cat_through(gui, view, path, 1002)
    finally:
        timer.stop()
    seconds = timing["seconds"]
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(stamps)]
    size = path.stat().st_size
    worst = max(gaps) if gaps else float("nan")
    return {
        "bytes": size,
        **timing,
        "mbps": size / MB / seconds,
        "timer_ms": 5,
        "ticks": len(stamps),
        "max_gap_ms": worst,
        "p99_gap_ms": percentile(gaps, 0.99),
        "p50_gap_ms": percentile(gaps, 0.50),
        "gaps_over_20ms": sum(1 for g in gaps if g > 20),
        "target_ms": TARGETS["stall_max_ms"],
        "pass": worst <= TARGETS["stall_max_ms"],
    }


# -- the run ------------------------------------------------------------------------------
def guarded(results: dict[str, Any], name: str, fn: Callable[[], Any]) -> Any:
    print(f"{name}...", flush=True)
    try:
        results[name] = fn()
    except Exception as exc:  # a report, not a gate: say what broke, carry on
        import traceback

        traceback.print_exc()
        results[name] = {"error": repr(exc)}
    return results[name]


def run(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    quick = args.quick
    size_mb = args.size_mb or (5 if quick else 100)
    stall_mb = args.stall_mb or (10 if quick else 100)
    mem_mb = args.mem_mb or 10
    keys = args.keys or (50 if quick else 200)
    runs = args.runs or (2 if quick else 5)
    results: dict[str, Any] = {
        "meta": {
            "quick": quick,
            "only": args.only,
            "no_store": args.no_store,
            "no_relay": args.no_relay,
            "bytecode_written": not args.no_pyc,
            "size_mb": size_mb,
            "stall_mb": stall_mb,
            "mem_mb": mem_mb,
            "keys": keys,
            "runs": runs,
            "seed": args.seed,
            "history": HISTORY,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "loadavg_start": Path("/proc/loadavg").read_text().strip(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "home": str(home),
        },
    }
    files: dict[float, Path] = {}

    def corpus(mb: float) -> Path:
        if mb not in files:
            files[mb] = make_corpus_file(home / f"corpus-{mb:g}MB.txt", int(mb * MB), args.seed)
        return files[mb]

    if args.only == "startup":  # start-up alone: no corpus, no in-process GUI
        print(f"start-up median of {runs}", flush=True)
        guarded(results, "startup", lambda: phase_startup(home, runs))
        results["meta"]["loadavg_end"] = Path("/proc/loadavg").read_text().strip()
        return results
    print(
        f"corpus: {size_mb:g} MB for cat, {stall_mb:g} MB for the stall flood, "
        f"{mem_mb:g} MB for memory; {keys} keys; start-up median of {runs}",
        flush=True,
    )
    big = corpus(size_mb)
    guarded(results, "emulator_alone", lambda: emulator_alone(big))
    guarded(results, "pty_floor", lambda: pty_floor(big))
    alone = results.get("emulator_alone", {}).get("mbps")
    if alone:
        guarded(results, "pty_ceiling", lambda: pty_ceiling(big, alone))
    guarded(results, "cat_devnull", lambda: cat_devnull(big))
    throughput_only = args.only == "throughput"
    # Before this process maps Qt: PSS of the GUI is not shared with the benchmark.
    if not throughput_only:
        guarded(results, "memory", lambda: phase_memory(home, corpus(mem_mb)))
        guarded(results, "startup", lambda: phase_startup(home, runs))

    gui = Gui()
    try:
        window, page = gui.shell_window()
        view = page.view
        stack = guarded(results, "stack", lambda: phase_throughput(gui, view, big, args.profile))
        emu = results.get("emulator_alone", {})
        if "mbps" in stack and "mbps" in emu:
            ratio = stack["mbps"] / emu["mbps"]
            results["throughput"] = {
                "stack_mbps": stack["mbps"],
                "emulator_mbps": emu["mbps"],
                "pty_floor_mbps": results.get("pty_floor", {}).get("mbps"),
                "ratio": ratio,
                "target_ratio": TARGETS["throughput_ratio"],
                "pass": ratio >= TARGETS["throughput_ratio"],
            }
        if throughput_only:
            return results
        guarded(results, "stall", lambda: phase_stall(gui, view, corpus(stall_mb)))
        idle = guarded(results, "latency_idle", lambda: phase_latency(gui, view, keys, args.seed))
        if "p50_ms" in idle:
            idle["pass"] = (
                idle["p50_ms"] <= TARGETS["latency_idle_p50_ms"]
                and idle["p99_ms"] <= TARGETS["latency_idle_p99_ms"]
            )
        flood = guarded(
            results,
            "latency_flood",
            lambda: phase_latency_flood(gui, window, view, big, keys, args.seed),
        )
        if "p99_ms" in flood:
            flood["pass"] = flood["p99_ms"] <= TARGETS["latency_flood_p99_ms"]
    finally:
        results["meta"]["worker_pid"] = worker_pid(home)
        gui.close()
        results["meta"]["loadavg_end"] = Path("/proc/loadavg").read_text().strip()
    return results


def table(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, value, target, verdict) rows; a phase that broke says so."""

    def verdict(ok: Any) -> str:
        return "-" if ok is None else ("PASS" if ok else "FAIL")

    only = results.get("meta", {}).get("only")

    def latency_row(lat: dict[str, Any], when: str, target: str) -> None:
        rows.append(
            (
                f"key -> painted echo, {when} ({lat['measured']} keys)",
                f"p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms, "
                f"max {lat['max_ms']:.2f} ms (frame applied p50 {lat['frame_p50_ms']:.2f})",
                target,
                verdict(lat.get("pass")),
            )
        )

    def broken(name: str) -> bool:
        got = results.get(name)
        if got is None and only and name != only:
            return True  # left out on purpose (--only), not broken
        if not isinstance(got, dict) or "error" in got:
            rows.append((name, f"error: {got.get('error') if got else 'not run'}", "", "FAIL"))
            return True
        return False

    rows: list[tuple[str, str, str, str]] = []
    if not broken("emulator_alone"):
        e = results["emulator_alone"]
        rows.append(("emulator alone 80x24 64KiB", f"{e['mbps']:.1f} MB/s", "reference", "-"))
    if not broken("pty_floor"):
        rows.append(
            (
                "cat through a bare PTY (floor)",
                f"{results['pty_floor']['mbps']:.1f} MB/s",
                "reference",
                "-",
            )
        )
    if results.get("pty_ceiling") and not broken("pty_ceiling"):
        c = results["pty_ceiling"]
        rows.append(
            (
                "ceiling: relayed PTY into a consumer costing the emulator's CPU per byte",
                f"{c['mbps']:.1f} MB/s, x{c['ratio']:.2f} of emulator alone (PTY side "
                f"{c['pty_side_cpu_s']:.2f} CPU s, consumer {c['consumer_cpu_s']:.2f})",
                "reference",
                "-",
            )
        )
    if not broken("cat_devnull"):
        rows.append(
            ("cat > /dev/null", f"{results['cat_devnull']['mbps']:.0f} MB/s", "reference", "-")
        )
    if not broken("stack"):
        s = results["stack"]
        t = results.get("throughput")
        value = (
            f"{s['mbps']:.1f} MB/s ({s['seconds']:.2f} s for {s['bytes'] / MB:.0f} MB; "
            f"CPU s: worker {s['worker_cpu_s']:.2f} (main thread "
            f"{s['worker_threads_cpu_s'].get('main', 0):.2f}, which also waited "
            f"{s['worker_main_waited_for_cpu_s']:.2f} s for a CPU), GUI {s['gui_cpu_s']:.2f}, "
            f"all CPUs busy {s['machine_busy_s']:.2f} of {os.cpu_count() * s['seconds']:.2f})"
        )
        if t:
            value += f", x{t['ratio']:.2f} of emulator alone"
            if t.get("pty_floor_mbps"):
                value += f", x{s['mbps'] / t['pty_floor_mbps']:.3f} of the PTY floor"
        rows.append(
            (
                "cat through GUI+worker",
                value,
                f">= {TARGETS['throughput_ratio']:.0%} of emulator alone",
                verdict(t["pass"] if t else None),
            )
        )
    if not broken("latency_idle"):
        latency_row(
            results["latency_idle"], "idle",
            f"p50 <= {TARGETS['latency_idle_p50_ms']:g} ms, p99 <= "
            f"{TARGETS['latency_idle_p99_ms']:g} ms",
        )
    if not broken("latency_flood"):
        latency_row(
            results["latency_flood"], "other tab floods",
            f"p99 <= {TARGETS['latency_flood_p99_ms']:g} ms",
        )
    if not broken("stall"):
        st = results["stall"]
        rows.append(
            (
                f"GUI loop stall, {st['bytes'] / MB:.0f} MB flood (5 ms timer)",
                f"max gap {st['max_gap_ms']:.1f} ms, p99 {st['p99_gap_ms']:.1f} ms, "
                f"{st['mbps']:.1f} MB/s",
                f"max <= {st['target_ms']:g} ms",
                verdict(st["pass"]),
            )
        )
    if not broken("memory"):
        m = results["memory"]
        rows.append(
            (
                f"PSS GUI+worker after {m['file_bytes'] / MB:.0f} MB cat, "
                f"{m['history_lines']} history lines",
                f"{m['pss_total_mb']:.1f} MB (GUI {m['gui']['pss_mb']:.1f} + worker "
                f"{m['worker']['pss_mb']:.1f}"
                + (f" + {m['relays']['count']:.0f} relays {m['relays']['pss_mb']:.1f}"
                   if m["relays"]["count"] else "")
                + f") at rest {m['settle_s']:g} s after, "
                f"{m['just_after_pss_total_mb']:.1f} 0.5 s after; USS "
                f"{m['uss_total_mb']:.1f}, RSS {m['rss_total_mb']:.1f}",
                f"<= {m['target_mb']:g} MB",
                verdict(m["pass"]),
            )
        )
    if not broken("startup"):
        for key, label in (("worker_running", "worker running"), ("no_worker", "no worker")):
            s = results["startup"][key]
            runs = ", ".join(f"{t:.3f}" for t in s["runs_s"])
            rows.append(
                (
                    f"start -> first prompt painted, {label}",
                    f"median {s['median_s']:.3f} s (runs {runs}; python ready "
                    f"{s['python_ready_s']:.3f} s)",
                    f"<= {s['target_s']:g} s",
                    verdict(s["pass"]),
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="5 MB cat, 10 MB stall flood, 50 keys, 2 start-ups"
    )
    parser.add_argument("--size-mb", type=float, default=0, help="cat corpus (default 100)")
    parser.add_argument(
        "--stall-mb", type=float, default=0, help="flood for the stall measure (default 100)"
    )
    parser.add_argument("--mem-mb", type=float, default=0, help="cat before memory (10)")
    parser.add_argument("--keys", type=int, default=0, help="keystrokes per latency run (200)")
    parser.add_argument("--runs", type=int, default=0, help="start-ups per case (5)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--profile",
        type=Path,
        help="cProfile the GUI during the cat (and py-spy the worker into "
        "FILE.worker.txt when py-spy is installed)",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="run the worker without transcripts (worker.persistent = false)",
    )
    parser.add_argument(
        "--no-relay",
        action="store_true",
        help="the worker reads its terminals itself (worker.relay = false)",
    )
    parser.add_argument(
        "--only",
        choices=("startup", "throughput"),
        help="run only this phase (start-up; or throughput: emulator alone, the PTY floor "
        "and cat through the stack, nothing else)",
    )
    parser.add_argument(
        "--no-pyc", action="store_true",
        help="no bytecode for emberterm's own modules: their __pycache__ removed and "
        "PYTHONDONTWRITEBYTECODE kept, so every start compiles them (a source checkout "
        "where writing bytecode is forbidden)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "e2e.json")
    parser.add_argument("--child", choices=("startup", "memory"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)
    if args.no_pyc:
        # Emberterm's own modules without bytecode (a source checkout where writing it is
        # forbidden); the standard library and site-packages keep theirs.
        os.environ["BENCH_E2E_NO_PYC"] = "1"
        for package in ("app", "ipc", "terminal"):
            for cache in (ROOT / package).rglob("__pycache__"):
                shutil.rmtree(cache, ignore_errors=True)

    home = Path(tempfile.mkdtemp(prefix="et-bench-"))
    saved = {
        k: os.environ.get(k)
        for k in ("QT_QPA_PLATFORM", "EMBERTERM_HOME", "EMBERTERM_WORKER_QUIET_EXIT")
    }
    os.environ.update(
        QT_QPA_PLATFORM="offscreen", EMBERTERM_HOME=str(home), EMBERTERM_WORKER_QUIET_EXIT="5"
    )
    write_config(home)
    worker_config = []  # the worker's own config: the store's share, the relay's gain
    if args.no_store:
        worker_config.append("persistent = false")
    if args.no_relay:
        worker_config.append("relay = false")
    if worker_config:
        (home / "config").mkdir(parents=True, exist_ok=True)
        (home / "config" / "config.toml").write_text("[worker]\n" + "\n".join(worker_config) + "\n")
    results: dict[str, Any] = {}
    try:
        results = run(args, home)
    except Exception as exc:  # a report, not a gate: say what broke and exit 0
        import traceback

        traceback.print_exc()
        results.setdefault("error", repr(exc))
    finally:
        try:
            kill_worker(home)
        except Exception:  # cleaning up must not hide the report
            pass
        shutil.rmtree(home, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    rows = table(results) if results else []
    results["table"] = [
        dict(zip(("what", "value", "target", "verdict"), r, strict=True)) for r in rows
    ]
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        print()
        for r in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    print(
        f"\nload average: {results.get('meta', {}).get('loadavg_start', '?')} (start), "
        f"{results.get('meta', {}).get('loadavg_end', '?')} (end)"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`emberterm cli` against a real worker process with real shells."""

from __future__ import annotations

import json
import os
from pathlib import Path

from worker_proc import ROOT, WorkerProcess, wait_for


def test_spawn_send_get_text_list_kill(worker: WorkerProcess, tmp_path: Path) -> None:
    spawned = worker.cli("spawn", "--cwd", str(tmp_path), "--", "sh")
    assert spawned.returncode == 0, spawned.stderr
    sid = spawned.stdout.strip()
    sent = worker.cli("send-text", "--session", sid, "echo cli-$((40+2)); pwd\n")
    assert sent.returncode == 0, sent.stderr

    def screen() -> str:
        return worker.cli("get-text", "--session", sid).stdout

    assert wait_for(lambda: "cli-42" in screen()), screen()
    assert str(tmp_path) in screen()
    listed = json.loads(worker.cli("list", "--json").stdout)
    assert [s["session"] for s in listed] == [sid]
    assert listed[0]["cwd"] == str(tmp_path)
    assert worker.cli("kill", "--session", sid).returncode == 0
    assert wait_for(lambda: json.loads(worker.cli("list", "--json").stdout) == [])


def test_send_text_from_stdin_and_escapes_and_scrollback(worker: WorkerProcess) -> None:
    sid = worker.cli("spawn", "--", "sh").stdout.strip()
    worker.cli("send-text", "--session", sid, stdin="seq 1 40; printf '\\033[31mRED\\033[0m\\n'\n")
    assert wait_for(lambda: "RED" in worker.cli("get-text", "--session", sid).stdout)
    colored = worker.cli("get-text", "--session", sid, "--escapes").stdout
    assert "\x1b[0;31mRED\x1b[0m" in colored
    with_history = worker.cli("get-text", "--session", sid, "--scrollback", "100").stdout
    assert with_history.splitlines()[1:4] == ["1", "2", "3"]


def test_search_finds_text_of_an_ended_session(worker: WorkerProcess) -> None:
    script = "seq 1 100; echo needle-$((6*7)); exit 0"
    sid = worker.cli("spawn", "--", "sh", "-c", script).stdout.strip()
    assert wait_for(lambda: json.loads(worker.cli("list", "--json").stdout) == [])
    found = wait_for(lambda: json.loads(worker.cli("search", "needle-42", "--json").stdout))
    assert [(h["session"], h["text"].strip()) for h in found] == [(sid, "needle-42")]
    assert worker.cli("search", "needle-42").stdout.startswith(f"{sid}:")


def test_status(worker: WorkerProcess) -> None:
    got = worker.cli("status", "--json")
    assert got.returncode == 0
    status = json.loads(got.stdout)
    assert status["pid"] == worker.pid and status["server"]["rss"] > 0
    assert "worker pid" in worker.cli("status").stdout


def test_exit_codes(worker: WorkerProcess, home: Path) -> None:
    missing = worker.cli("get-text", "--session", "nosuchsession")
    assert missing.returncode == 4 and "no such session" in missing.stderr
    refused = worker.cli("spawn", "--", "/no/such/program")
    assert refused.returncode == 5 and "program not found" in refused.stderr
    assert "Traceback" not in refused.stderr
    worker.stop()
    gone = worker.cli("list")
    assert gone.returncode == 3 and "no Emberterm worker is running" in gone.stderr


def test_no_worker_ever_started(home: Path) -> None:
    got = WorkerProcess(home).cli("status")
    assert got.returncode == 3 and "no Emberterm worker is running" in got.stderr


def test_forget(worker: WorkerProcess) -> None:
    worker.cli("spawn", "--", "sh", "-c", "echo forget-this-line; exit 0")
    assert wait_for(lambda: json.loads(worker.cli("search", "forget-this", "--json").stdout))
    assert worker.cli("forget", "--all").returncode == 0
    assert json.loads(worker.cli("search", "forget-this", "--json").stdout) == []


def test_output_into_a_closed_pipe_ends_quietly(worker: WorkerProcess) -> None:
    """``emberterm cli get-text | head -1``: when the reader goes, no traceback; the
    status a Unix tool ended by SIGPIPE has (found in a trial)."""
    import subprocess
    import sys

    sid = worker.cli("spawn", "--", "sh", "-c", "seq 1 400; exec sleep 60").stdout.strip()
    assert wait_for(lambda: "400" in worker.cli("get-text", "--session", sid).stdout)
    read, write = os.pipe()
    os.close(read)  # a reader that has already gone
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "app", "cli", "get-text", "--session", sid,
             "--scrollback", "400"],
            cwd=ROOT, env=worker.env, stdout=write, stderr=subprocess.PIPE, text=True,
            timeout=30,
        )
    finally:
        os.close(write)
    assert proc.returncode == 141, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr

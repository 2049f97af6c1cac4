"""Token files, peer credentials, stale-socket probing and the listen lock."""

from __future__ import annotations

import os
import socket
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from ipc import security
from ipc.security import SocketState

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


@pytest.fixture
def short_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="et-"))


@posix_only
def test_token_is_created_0600_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    token = security.ensure_token(path)
    assert len(token) == 2 * security.TOKEN_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert security.ensure_token(path) == token
    assert security.read_token(path) == token
    assert [p.name for p in tmp_path.iterdir()] == ["token"]  # no temporary left


@posix_only
def test_a_token_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    security.ensure_token(path)
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="readable by others"):
        security.read_token(path)


@posix_only
def test_a_token_of_another_owner_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another uid")
    path = tmp_path / "token"
    security.ensure_token(path)
    os.chown(path, 65534, 65534)
    with pytest.raises(PermissionError, match="belongs to uid 65534"):
        security.read_token(path)


def test_racing_token_creation_agrees_on_one(tmp_path: Path) -> None:
    path = tmp_path / "token"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(security.ensure_token(path)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1


def test_tokens_equal() -> None:
    assert security.tokens_equal("abc", "abc")
    assert not security.tokens_equal("abd", "abc")
    assert not security.tokens_equal("", "")
    assert not security.tokens_equal(None, "abc")
    assert not security.tokens_equal(123, "abc")


@posix_only
def test_private_dir_is_tightened(short_dir: Path) -> None:
    target = short_dir / "run"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    security.check_private_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


@pytest.mark.skipif(not hasattr(socket, "SO_PEERCRED"), reason="SO_PEERCRED is Linux-only")
def test_peer_uid_reads_the_kernel_and_leaves_the_descriptor_open() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        assert security.peer_uid(a.fileno()) == os.getuid()
        a.sendall(b"still open")  # our descriptor survived the dup being closed
        assert b.recv(100) == b"still open"
    finally:
        a.close()
        b.close()
    assert security.peer_uid(-1) is None


@posix_only
def test_probe_tells_absent_stale_live_and_foreign(short_dir: Path) -> None:
    name = str(short_dir / "s")
    assert security.probe(name) is SocketState.ABSENT
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(name)
    stale.close()
    assert security.probe(name) is SocketState.STALE
    os.unlink(name)
    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(name)
    live.listen(1)
    try:
        assert security.probe(name) is SocketState.LIVE
    finally:
        live.close()
        os.unlink(name)
    Path(name).write_text("not a socket")
    assert security.probe(name) is SocketState.FOREIGN


@posix_only
def test_listen_lock_excludes_a_second_holder(short_dir: Path) -> None:
    lock = short_dir / "lock"
    order: list[str] = []

    def second() -> None:
        with security.listen_lock(lock):
            order.append("second")

    with security.listen_lock(lock):
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.2)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600

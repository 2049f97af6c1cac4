"""Who may talk to the worker, and making sure exactly one worker listens.

Three layers keep other users out, each enough on its own where the OS provides it:

1. the socket lives in a per-user directory with mode 0700 (``check_private_dir``) and is
   itself user-only (``QLocalServer.SocketOption.UserAccessOption``; on Windows the same
   option restricts the named pipe's DACL to the user -- code path present, not verified);
2. the server asks the kernel who the peer is (``peer_uid``: ``SO_PEERCRED`` on Linux,
   ``LOCAL_PEERCRED`` on macOS) and refuses another uid;
3. the ``hello`` carries a token read from a 0600 file (``ensure_token``/``read_token``),
   compared in constant time (``tokens_equal``).

Stale sockets and racing starts: ``probe`` tells a live server from a file left by a
crash (connect refused) or no file at all; ``listen_lock`` (``fcntl.flock`` on a lock file)
serialises check-remove-listen so two servers starting at once end with exactly one
listening. On Windows there is no stale file (a pipe lives as long as its server), and
the lock is taken with ``msvcrt.locking`` (code path present, not verified).

What it does not do: no Qt event loop, no handshake logic (``ipc.server`` does that), no
``app.paths`` (paths come in as arguments; ``ipc`` may not import ``app``).
"""

from __future__ import annotations

import contextlib
import enum
import os
import socket
import stat
import struct
import sys

# hmac.compare_digest itself where Python is built without OpenSSL. ``hmac`` and
# ``secrets`` would load OpenSSL's libcrypto into both processes (~3 MB PSS each) for
# one comparison and a few random bytes; os.urandom is what ``secrets`` uses.
from _operator import _compare_digest
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "TOKEN_BYTES",
    "SocketState",
    "check_private_dir",
    "ensure_token",
    "expected_uid",
    "listen_lock",
    "peer_uid",
    "probe",
    "read_token",
    "tokens_equal",
]

TOKEN_BYTES = 32
_POSIX = sys.platform != "win32"


# -- directories and the token file ---------------------------------------------------------


def check_private_dir(path: Path) -> None:
    """Create ``path`` 0700, or tighten it to 0700; refuse one owned by someone else."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not _POSIX:
        return
    st = path.stat()
    if st.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to uid {st.st_uid}, not {os.getuid()}")
    if st.st_mode & 0o077:
        path.chmod(0o700)


def read_token(path: Path) -> str:
    """The token in ``path``. Refuses (``PermissionError``) a file others could read or
    that another user owns, since its token may be known to them."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if _POSIX:
            st = os.fstat(fd)
            if st.st_uid != os.getuid():
                raise PermissionError(f"token file {path} belongs to uid {st.st_uid}")
            if st.st_mode & 0o077:
                raise PermissionError(f"token file {path} is readable by others")
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    token = data.decode("ascii", errors="replace").strip()
    if not token:
        raise PermissionError(f"token file {path} is empty")
    return token


def ensure_token(path: Path) -> str:
    """The token in ``path``, creating the file (0600, atomically) if it is missing.

    Creation writes a temporary file and hard-links it into place, so a reader never sees
    a half-written token and two processes racing to create it agree on one.
    """
    try:
        return read_token(path)
    except FileNotFoundError:
        pass
    token = os.urandom(TOKEN_BYTES).hex()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, token.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created it first
    except FileExistsError:
        return read_token(path)
    except OSError:  # no hard links (some Windows file systems): rename, last one wins
        os.replace(tmp, path)
        return read_token(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return token


def tokens_equal(given: object, expected: str) -> bool:
    """Constant-time comparison; anything but a non-empty str is unequal."""
    if not isinstance(given, str) or not given or not expected:
        return False
    return bool(_compare_digest(given.encode("utf-8"), expected.encode("utf-8")))


# -- peer credentials -------------------------------------------------------------------


def expected_uid() -> int | None:
    """The uid peers must have; None where the OS has no uids (Windows)."""
    return os.getuid() if _POSIX else None


def peer_uid(descriptor: int) -> int | None:
    """The uid of the process at the other end of a connected local socket.

    ``descriptor`` is Qt's ``socketDescriptor()``. ``socket.fromfd`` duplicates it, so
    closing our socket object leaves Qt's descriptor open. None when the OS does not say
    (Windows, other Unixes) or the descriptor is gone.
    """
    if not _POSIX or descriptor < 0:
        return None
    try:
        sock = socket.fromfd(descriptor, socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
            return int(uid)
        if sys.platform == "darwin":  # pragma: no cover - not verified on macOS
            # struct xucred {u_int cr_version; uid_t cr_uid; short cr_ngroups; ...}
            sol_local, local_peercred = 0, 1
            creds = sock.getsockopt(sol_local, local_peercred, 76)
            _version, uid = struct.unpack_from("Ii", creds)
            return int(uid)
        return None
    except OSError:
        return None
    finally:
        sock.close()


# -- stale sockets and the single-listener guarantee -----------------------------------


class SocketState(enum.Enum):
    ABSENT = "absent"  # no socket file
    STALE = "stale"  # a file nobody listens on (a crash left it)
    LIVE = "live"  # a server accepted a connection
    FOREIGN = "foreign"  # something we must not remove (not a socket, another owner)


def probe(name: str, *, timeout: float = 1.0) -> SocketState:
    """What is at ``name`` now. POSIX only; on Windows see ``probe_pipe``."""
    if not _POSIX:  # pragma: no cover - Windows
        return probe_pipe(name, timeout=timeout)
    try:
        st = os.lstat(name)
    except FileNotFoundError:
        return SocketState.ABSENT
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != os.getuid():
        return SocketState.FOREIGN
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(name)
    except (ConnectionRefusedError, FileNotFoundError):
        return SocketState.STALE
    except OSError:  # a full backlog or a timeout: someone is there
        return SocketState.LIVE
    finally:
        sock.close()
    return SocketState.LIVE


def probe_pipe(name: str, *, timeout: float = 1.0) -> SocketState:  # pragma: no cover
    """Windows: a pipe exists while its server lives, so there is nothing stale to remove.

    Not verified on Windows.
    """
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    live = sock.waitForConnected(int(timeout * 1000))
    sock.abort()
    return SocketState.LIVE if live else SocketState.ABSENT


@contextlib.contextmanager
def listen_lock(path: Path | None, *, timeout: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600) for the block.

    POSIX: ``fcntl.flock``; the kernel drops it when the holder dies, so a crash never
    leaves it held. Windows: ``msvcrt.locking`` on the first byte, retried until
    ``timeout`` (not verified on Windows). A no-op when ``path`` is None.
    """
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if _POSIX:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        else:  # pragma: no cover - Windows
            _lock_windows(fd, timeout)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _lock_windows(fd: int, timeout: float) -> None:  # pragma: no cover - Windows
    import msvcrt
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)

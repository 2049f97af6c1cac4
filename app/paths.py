"""Where Emberterm keeps its state.

Every file Emberterm writes lives under one of four directories taken from platformdirs:
config (``config.toml``), data (the SQLite store), logs (one file per process) and runtime
(the worker's socket, token and lock). Setting ``EMBERTERM_HOME`` moves all four under that
one directory, so tests and parallel instances never touch a person's real state.

Unix socket paths are limited to 108 bytes (``sun_path``). When the runtime directory is
too deep for that, the socket goes into a short per-user directory under the system
temporary directory whose name is a hash of the long one, so the mapping stays one to one.
"""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "emberterm"
HOME_ENV = "EMBERTERM_HOME"
# sun_path is 108 bytes on Linux (104 on macOS); keep a margin for the NUL byte.
SOCKET_PATH_LIMIT = 100


@dataclass(frozen=True)
class StatePaths:
    """The directories and files of one Emberterm installation (or one ``EMBERTERM_HOME``)."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    runtime_dir: Path
    home: Path | None = None  # the EMBERTERM_HOME these came from, if any

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment in which a child process (the worker) finds these same paths."""
        env = dict(os.environ if base is None else base)
        if self.home is not None:
            env[HOME_ENV] = str(self.home)
        else:
            env.pop(HOME_ENV, None)
        return env

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "emberterm.sqlite3"

    @property
    def token_file(self) -> Path:
        return self.runtime_dir / "token"

    @property
    def lock_file(self) -> Path:
        return self.runtime_dir / "worker.lock"

    def log_file(self, process: str) -> Path:
        """One log file per process kind: ``gui``, ``worker`` or ``cli``."""
        return self.log_dir / f"{process}.log"

    @property
    def socket_name(self) -> str:
        """The name given to ``QLocalServer.listen`` / ``QLocalSocket.connectToServer``.

        On POSIX a full path (kept under the ``sun_path`` limit); on Windows a pipe name,
        which Qt turns into ``\\\\.\\pipe\\<name>``.
        """
        # zlib, not hashlib: hashlib loads OpenSSL (~3 MB) for a name that needs no secrecy.
        key = os.fsencode(str(self.runtime_dir))
        digest = f"{zlib.crc32(key):08x}{zlib.adler32(key) & 0xFFFF:04x}"
        if sys.platform == "win32":
            return f"{APP_NAME}-{_user()}-{digest}"
        path = self.runtime_dir / "worker.sock"
        if len(os.fsencode(str(path))) <= SOCKET_PATH_LIMIT:
            return str(path)
        short = Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}-{digest}"
        return str(short / "worker.sock")

    def ensure(self) -> StatePaths:
        """Create the directories (runtime and data user-only) and return ``self``."""
        for directory in (self.config_dir, self.data_dir, self.log_dir):
            directory.mkdir(parents=True, exist_ok=True)
        make_private_dir(self.runtime_dir)
        make_private_dir(self.data_dir)
        if sys.platform != "win32":
            make_private_dir(Path(self.socket_name).parent)
        return self


def make_private_dir(path: Path) -> None:
    """Create ``path`` with mode 0700, or tighten it to 0700 if it exists and is ours."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if sys.platform != "win32":
        st = path.stat()
        if st.st_uid != os.getuid():
            raise PermissionError(f"{path} belongs to another user")
        if st.st_mode & 0o077:
            path.chmod(0o700)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name in the environment
        return "user"


def state_paths(environ: dict[str, str] | None = None) -> StatePaths:
    """The state paths for this environment (``os.environ`` unless given)."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().absolute()
        return StatePaths(
            config_dir=root / "config",
            data_dir=root / "data",
            log_dir=root / "logs",
            runtime_dir=root / "run",
            home=root,
        )
    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    if sys.platform.startswith("linux") and not env.get("XDG_RUNTIME_DIR"):
        # No session runtime directory (a bare ssh login, a container): a per-user
        # directory in /tmp, made 0700 by ensure(), rather than platformdirs' warning.
        runtime = Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"
    else:
        runtime = Path(dirs.user_runtime_dir)
    return StatePaths(
        config_dir=Path(dirs.user_config_dir),
        data_dir=Path(dirs.user_data_dir),
        log_dir=Path(dirs.user_log_dir),
        runtime_dir=runtime,
    )

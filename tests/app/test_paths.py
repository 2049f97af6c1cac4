"""State paths: everything under EMBERTERM_HOME, sockets under the sun_path limit."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from app.paths import SOCKET_PATH_LIMIT, make_private_dir, state_paths


def test_emberterm_home_moves_every_kind_of_state(tmp_path: Path) -> None:
    paths = state_paths({"EMBERTERM_HOME": str(tmp_path)})
    for p in (paths.config_file, paths.database, paths.token_file, paths.lock_file,
              paths.log_file("worker"), paths.log_file("gui")):
        assert tmp_path in p.parents
    assert paths.log_file("gui") != paths.log_file("worker")
    assert Path(paths.socket_name).is_relative_to(tmp_path)


def test_without_emberterm_home_platformdirs_decide() -> None:
    paths = state_paths({})
    assert "emberterm" in str(paths.config_dir).lower()
    assert "emberterm" in str(paths.data_dir).lower()


def test_long_home_keeps_socket_under_the_limit_and_still_distinct(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    other = tmp_path / ("x" * 60) / ("z" * 60)
    a = state_paths({"EMBERTERM_HOME": str(deep)}).socket_name
    b = state_paths({"EMBERTERM_HOME": str(other)}).socket_name
    assert len(os.fsencode(a)) <= SOCKET_PATH_LIMIT
    assert a != b


def test_a_socket_can_actually_be_bound_at_the_long_home_path(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90) / ("e" * 90)
    paths = state_paths({"EMBERTERM_HOME": str(deep)}).ensure()
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(paths.socket_name)  # raises OSError if the path were too long
    finally:
        server.close()
        os.unlink(paths.socket_name)


def test_ensure_makes_runtime_and_data_user_only(tmp_path: Path) -> None:
    paths = state_paths({"EMBERTERM_HOME": str(tmp_path / "h")}).ensure()
    for d in (paths.runtime_dir, paths.data_dir, Path(paths.socket_name).parent):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert paths.config_dir.is_dir() and paths.log_dir.is_dir()


def test_make_private_dir_tightens_loose_permissions(tmp_path: Path) -> None:
    d = tmp_path / "loose"
    d.mkdir(mode=0o755)
    d.chmod(0o755)
    make_private_dir(d)
    assert stat.S_IMODE(d.stat().st_mode) == 0o700


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to chown a directory to another user")
def test_make_private_dir_refuses_a_directory_of_another_user(tmp_path: Path) -> None:
    d = tmp_path / "theirs"
    d.mkdir()
    os.chown(d, 65534, 65534)
    with pytest.raises(PermissionError, match="another user"):
        make_private_dir(d)


def test_a_child_environment_finds_the_same_state(tmp_path: Path) -> None:
    paths = state_paths({"EMBERTERM_HOME": str(tmp_path)})
    env = paths.environment({"EMBERTERM_HOME": "/somewhere/else", "X": "1"})
    assert state_paths(env) == paths and env["X"] == "1"
    default = state_paths({})
    assert "EMBERTERM_HOME" not in default.environment({"EMBERTERM_HOME": "/elsewhere"})


def test_the_gui_and_ipc_load_no_openssl() -> None:
    """hashlib, hmac and secrets load OpenSSL's libcrypto (~3 MB PSS) into the process;
    the GUI needs none of them (the worker still gets it through pyte's wcwidth)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, app.gui.main, app.gui.remote_backend, ipc.client, ipc.security, ipc.ids\n"
        "print(sorted(m for m in ('_hashlib', 'hmac', 'secrets', '_ssl') if m in sys.modules))"
    )
    # Without pytest-cov's subprocess hooks: coverage itself imports hashlib.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE"))}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[2], env=env,
    ).stdout
    assert out.strip() == "[]"

"""The command line: parsing, --version/--help, mistakes; the whole app as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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

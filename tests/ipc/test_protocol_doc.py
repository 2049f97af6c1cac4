"""docs/PROTOCOL.md is generated from the code; this fails when someone forgot to rerun."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_protocol_doc.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_protocol_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_protocol_doc_is_current() -> None:
    gen = load_generator()
    assert gen.is_current(), "docs/PROTOCOL.md is stale: run scripts/gen_protocol_doc.py"


def test_doc_front_matter() -> None:
    text = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    head = text.split("---\n")[1]
    assert "title: IPC protocol\nstatus: current\nupdated: " in head
    assert "covers:\n  - ipc/messages.py\n  - ipc/framing.py\n  - ipc/errors.py\n" in head


def test_doc_names_every_message_and_error() -> None:
    from ipc.errors import ErrorKind
    from ipc.messages import SPECS

    text = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    for spec in SPECS.values():
        assert f"| {int(spec.type)} | `{spec.name}` |" in text
    for kind in ErrorKind:
        assert f"| `{kind.value}` |" in text


def test_check_detects_a_stale_file(tmp_path: Path) -> None:
    gen = load_generator()
    stale = tmp_path / "PROTOCOL.md"
    stale.write_text(gen.render("2026-01-01").replace("session.write", "session.typo"))
    assert not gen.is_current(stale)
    assert gen.main(["--check", "--output", str(stale)]) == 1
    assert gen.main(["--output", str(stale)]) == 0
    assert gen.is_current(stale)
    assert gen.main(["--check", "--output", str(stale)]) == 0


def test_script_runs_standalone(tmp_path: Path) -> None:
    out = tmp_path / "p.md"
    result = subprocess.run([sys.executable, str(SCRIPT), "--output", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("---\ntitle: IPC protocol\n")

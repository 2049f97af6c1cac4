"""The config schema, the TOML loader's messages and the generated reference."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.config import (
    SCHEMA,
    SCHEMA_BY_KEY,
    Config,
    default_toml,
    find_key_line,
    load_config,
    parse_config,
    shortcut,
)

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_come_from_the_schema() -> None:
    config = Config()
    assert set(config) == {s.key for s in SCHEMA}
    assert config["font.size"] == 11.0
    assert config.shortcut("new_tab") == "Ctrl+Shift+T"


def test_every_default_passes_its_own_checks() -> None:
    config, warnings = parse_config(_uncommented_defaults())
    assert warnings == []
    assert config == Config()


def _uncommented_defaults() -> str:
    lines = []
    for line in default_toml().splitlines():
        if line.startswith("# ") and " = " in line:
            line = line[2:]
        lines.append(line)
    return "\n".join(lines)


def test_a_good_file_applies() -> None:
    config, warnings = parse_config(
        'scheme = "light"\n[font]\nsize = 14\nfamily = "DejaVu Sans Mono"\n'
        '[shell]\nprogram = "/bin/zsh"\nargs = ["-l"]\n[keys]\nnew_tab = "Ctrl+T"\n'
    )
    assert warnings == []
    assert config["font.size"] == 14.0 and isinstance(config["font.size"], float)
    assert config["shell.args"] == ["-l"]
    assert config["keys.new_tab"] == "Ctrl+T"
    assert config["scheme"] == "light"


def test_dotted_keys_work_like_tables() -> None:
    config, warnings = parse_config("font.size = 9\n")
    assert warnings == [] and config["font.size"] == 9.0


def test_wrong_type_names_the_key_and_line_and_falls_back() -> None:
    config, warnings = parse_config(
        '[font]\nfamily = "Mono"\n\nsize = "big"\n', source="c.toml"
    )
    assert config["font.size"] == 11.0
    assert config["font.family"] == "Mono"  # the rest still applies
    assert warnings == [
        "c.toml:4: 'font.size' must be a number, not a string (\"big\"); using the default 11.0"
    ]


def test_out_of_range_and_bad_choice() -> None:
    config, warnings = parse_config(
        "[font]\nsize = 300\n[cursor]\nshape = 'triangle'\n", source="c.toml"
    )
    assert config["font.size"] == 11.0 and config["cursor.shape"] == "block"
    assert warnings[0].startswith("c.toml:2: 'font.size' must be between 5 and 72 (got 300)")
    assert "c.toml:4: 'cursor.shape' must be one of" in warnings[1]
    assert '(got "triangle")' in warnings[1]


def test_boolean_is_not_an_integer() -> None:
    config, warnings = parse_config("scrollback.lines = true\n")
    assert config["scrollback.lines"] == 10000
    assert "'scrollback.lines' must be an integer, not a boolean (true)" in warnings[0]


def test_list_items_are_checked() -> None:
    _, warnings = parse_config("[shell]\nargs = ['-l', 3]\n")
    assert "'shell.args' must be a list of strings" in warnings[0]


def test_unknown_key_is_named_with_a_suggestion() -> None:
    config, warnings = parse_config("[font]\nsise = 3\n[nonsense]\nx = 1\n", source="c.toml")
    assert config == Config()
    assert warnings[0] == "c.toml:2: unknown key 'font.sise' ignored (did you mean 'font.size'?)"
    assert warnings[1] == "c.toml:4: unknown key 'nonsense.x' ignored"


def test_syntax_error_gives_the_line_and_all_defaults() -> None:
    config, warnings = parse_config('[font]\nsize = 12\nfamily = "unterminated\n', source="c")
    assert config == Config()
    assert len(warnings) == 1
    assert warnings[0].startswith("c: not valid TOML")
    assert "line 3" in warnings[0]


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("[font]\nsize = 1\n", "font.size", 2),
        ("font.size = 1\n", "font.size", 1),
        ('[ "font" ]\n  "size"=1\n', "font.size", 2),
        ("[keys]\ncopy = 'x'\n[font]\ncopy = 1\n", "font.copy", 4),
        ("[font]\nsize = 1\n", "font.family", 0),
    ],
)
def test_find_key_line(text: str, key: str, line: int) -> None:
    assert find_key_line(text, key) == line


@pytest.mark.parametrize("good", ["", "Ctrl+Shift+T", "Ctrl+PgDown", "Ctrl++", "Ctrl+-", "F11",
                                  "Ctrl+K, Ctrl+C"])
def test_shortcut_shapes_accepted(good: str) -> None:
    assert shortcut(good) is None


@pytest.mark.parametrize("bad", ["Ctrl+", "+", "Ctrl+Shift+ T x", "Ctrl++Shift"])
def test_shortcut_shapes_rejected(bad: str) -> None:
    assert shortcut(bad) is not None


def test_load_missing_file_is_defaults(tmp_path: Path) -> None:
    result = load_config(tmp_path / "none.toml")
    assert result.config == Config() and result.warnings == []
    assert load_config(None).config == Config()


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[font]\nsize = 'x'\n")
    result = load_config(path)
    assert result.warnings[0].startswith(f"{path}:2: 'font.size'")


def test_unreadable_file_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe bad utf-8")
    result = load_config(path)
    assert result.config == Config()
    assert "cannot read" in result.warnings[0]


def test_default_file_is_valid_toml_and_all_commented() -> None:
    assert tomllib.loads(default_toml()) == {
        key.rpartition(".")[0]: {} for key in SCHEMA_BY_KEY if "." in key
    }


def test_every_setting_has_a_doc_and_a_known_type() -> None:
    for setting in SCHEMA:
        assert setting.doc.strip(), setting.key
        assert setting.type_name
        assert isinstance(setting.default, setting.type), setting.key


def test_config_module_does_not_import_qt() -> None:
    code = "import sys, app.config; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_generated_files_are_up_to_date() -> None:
    """docs/CONFIG.md and resources/config.toml match the schema."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_config_doc.py"), "--check"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_reference_lists_every_key_type_and_default() -> None:
    text = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    for setting in SCHEMA:
        assert f"| `{setting.key}` | {setting.type_name} |" in text

#!/usr/bin/env python3
"""Write docs/CONFIG.md and resources/config.toml from the schema in app/config.py.

    scripts/gen_config_doc.py          # rewrite both files
    scripts/gen_config_doc.py --check  # exit 1 (and say which) when either is stale

The schema is the one source: each ``Setting`` gives the key, type, default and doc. A
test runs ``--check``, so a schema change without regenerating fails the suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.config import SCHEMA, default_toml, toml_value  # noqa: E402

DOC = ROOT / "docs" / "CONFIG.md"
DEFAULT_FILE = ROOT / "resources" / "config.toml"

FRONT_MATTER = """---
title: Configuration reference
status: current
updated: 2026-11-27
covers:
  - app/config.py
  - app/gui/config_watch.py
---
"""

INTRO = """
# Configuration reference

Emberterm reads one TOML file: `config.toml` in the platform's config directory
(`~/.config/emberterm/config.toml` on Linux; under `$EMBERTERM_HOME/config/` when that
variable is set), or the file given with `emberterm --config FILE`. The file is optional;
`resources/config.toml` is a commented copy of every default to start from.

- **Never fatal.** A value of the wrong type or out of range is reported with its key and
  line (`config.toml:7: 'font.size' must be between 5 and 72 (got 300); using the default
  11.0`) and that key falls back to its default; a file that is not valid TOML is reported
  with the line and column the parser gives, and all defaults apply. An unknown key is
  named in a warning (with a suggestion when it looks like a typo). Warnings appear in a
  banner at the top of the window and in the log (`gui.log` in the state directory).
- **Live.** Saving the file applies it to every open window: fonts, colours, cursor and
  key bindings change at once. Editors that replace the file (write and rename) are
  followed.
- Keys are written as TOML tables: `font.size` is `size` under `[font]`.
- Shortcuts use Qt's portable names, e.g. `"Ctrl+Shift+T"`, `"Ctrl+PgDown"`, `"Alt+F4"`;
  `""` disables a binding.

This page is generated from the schema in `app/config.py` by `scripts/gen_config_doc.py`;
a test fails when it is out of date.

| key | type | default | description |
|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    rows = [
        f"| `{s.key}` | {s.type_name} | `{_cell(toml_value(s.default))}` | {_cell(s.doc)} |"
        for s in SCHEMA
    ]
    example = """
## Example

```toml
scheme = "emberterm-dark"

[font]
family = "DejaVu Sans Mono"
size = 12

[shell]
program = "/bin/zsh"
args = ["-l"]

[keys]
new_tab = "Ctrl+T"
find = ""          # no binding
```
"""
    return FRONT_MATTER + INTRO + "\n".join(rows) + "\n" + example


def outputs() -> dict[Path, str]:
    return {DOC: render_markdown(), DEFAULT_FILE: default_toml()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"stale: {names}; run scripts/gen_config_doc.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

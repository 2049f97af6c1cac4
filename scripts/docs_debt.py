#!/usr/bin/env python3
"""List the docs whose covered code changed after the doc's ``updated`` date.

Every file under ``docs/`` starts with YAML front matter::

    ---
    title: Architecture
    status: current            # current | accepted | draft | superseded
    updated: 2026-11-27
    covers:
      - terminal/frames.py
    ---

This script reads that front matter (a small, strict subset of YAML: ``key: value`` lines
and one ``covers:`` list), asks git when each covered path last changed, and prints the
docs that are older than their code. Exit status: 0 always (it reports debt; the test
suite checks only that front matter is valid and covered paths exist).

    python scripts/docs_debt.py            # human-readable
    python scripts/docs_debt.py --json     # machine-readable
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("title", "status", "updated", "covers")
STATUSES = {"current", "accepted", "draft", "superseded", "proposed"}


class FrontMatterError(ValueError):
    """The front matter is missing or does not follow the documented shape."""


@dataclass
class FrontMatter:
    title: str
    status: str
    updated: dt.date
    covers: list[str] = field(default_factory=list)


def parse_front_matter(text: str) -> FrontMatter:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError("does not start with a '---' front matter block")
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise FrontMatterError("front matter block is not closed with '---'") from None
    values: dict[str, str] = {}
    covers: list[str] = []
    current_list: str | None = None
    for number, raw in enumerate(lines[1:end], start=2):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw.startswith(("  - ", "- ")) and current_list == "covers":
            covers.append(raw.split("- ", 1)[1].strip())
            continue
        if ":" not in raw or raw.startswith(" "):
            raise FrontMatterError(f"line {number}: expected 'key: value', got {raw!r}")
        key, _, value = raw.partition(":")
        key, value = key.strip(), value.split(" #", 1)[0].strip().strip('"').strip("'")
        values[key] = value
        current_list = key if value == "" else None
    missing = [k for k in REQUIRED if k not in values]
    if missing:
        raise FrontMatterError(f"missing key(s): {', '.join(missing)}")
    if values["status"] not in STATUSES:
        raise FrontMatterError(f"status {values['status']!r} is not one of {sorted(STATUSES)}")
    try:
        updated = dt.date.fromisoformat(values["updated"])
    except ValueError:
        raise FrontMatterError(f"updated {values['updated']!r} is not a YYYY-MM-DD date") from None
    if not values["title"]:
        raise FrontMatterError("title is empty")
    if not covers:
        raise FrontMatterError("covers: lists no code path")
    return FrontMatter(values["title"], values["status"], updated, covers)


def doc_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "docs").rglob("*.md"))


def last_change(path: str, root: Path = ROOT) -> dt.date | None:
    """When ``path`` last changed: today if it has uncommitted changes, else its last commit."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", path], cwd=root, capture_output=True, text=True
    )
    if status.returncode == 0 and status.stdout.strip():
        return dt.date.today()
    log = subprocess.run(
        ["git", "log", "-1", "--format=%cs", "--", path], cwd=root, capture_output=True, text=True
    )
    out = log.stdout.strip()
    return dt.date.fromisoformat(out) if log.returncode == 0 and out else None


def debt(root: Path = ROOT) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for doc in doc_files(root):
        try:
            fm = parse_front_matter(doc.read_text(encoding="utf-8"))
        except FrontMatterError as exc:
            rows.append({"doc": str(doc.relative_to(root)), "error": str(exc)})
            continue
        stale = []
        for covered in fm.covers:
            changed = last_change(covered, root)
            if changed is not None and changed > fm.updated:
                stale.append({"path": covered, "changed": changed.isoformat()})
        if stale:
            doc_name = str(doc.relative_to(root))
            rows.append({"doc": doc_name, "updated": fm.updated.isoformat(), "stale": stale})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    rows = debt()
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("docs: no debt — every doc is at least as new as the code it covers")
    else:
        for row in rows:
            if "error" in row:
                print(f"{row['doc']}: invalid front matter: {row['error']}")
                continue
            print(f"{row['doc']} (updated {row['updated']}) is older than:")
            for item in row["stale"]:  # type: ignore[attr-defined]
                print(f"    {item['path']} (changed {item['changed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

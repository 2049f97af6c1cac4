"""Every doc carries valid front matter, and every path it claims to cover exists."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import docs_debt
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = docs_debt.doc_files(ROOT)


def test_there_are_docs() -> None:
    assert any(p.name == "ARCHITECTURE.md" for p in DOCS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_front_matter_is_valid_and_covers_existing_paths(doc: Path) -> None:
    fm = docs_debt.parse_front_matter(doc.read_text(encoding="utf-8"))
    missing = [p for p in fm.covers if not (ROOT / p).exists()]
    assert not missing, f"{doc.name} covers paths that do not exist: {missing}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter\n", "does not start"),
        ("---\ntitle: x\n", "not closed"),
        ("---\ntitle: x\nstatus: current\nupdated: 2026-01-01\n---\n", "missing key.*covers"),
        ("---\ntitle: x\nstatus: bogus\nupdated: 2026-01-01\ncovers:\n  - a\n---\n", "status"),
        ("---\ntitle: x\nstatus: current\nupdated: yesterday\ncovers:\n  - a\n---\n", "YYYY"),
        ("---\ntitle: x\nstatus: current\nupdated: 2026-01-01\ncovers:\n---\n", "no code path"),
        ("---\njust words\n---\n", "expected 'key: value'"),
    ],
)
def test_invalid_front_matter_is_rejected(text: str, message: str) -> None:
    with pytest.raises(docs_debt.FrontMatterError, match=message):
        docs_debt.parse_front_matter(text)


def test_parses_the_documented_shape() -> None:
    fm = docs_debt.parse_front_matter(
        "---\ntitle: \"A: b\"\nstatus: current  # comment\nupdated: 2026-11-27\n"
        "covers:\n  - terminal/frames.py\n  - app/paths.py\n---\n# body\n"
    )
    assert fm.title == "A: b"
    assert fm.status == "current"
    assert fm.updated == dt.date(2026, 11, 27)
    assert fm.covers == ["terminal/frames.py", "app/paths.py"]


def _git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin"}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)


def test_docs_debt_lists_a_doc_older_than_its_code(tmp_path: Path) -> None:
    repo = tmp_path
    (repo / "docs").mkdir()
    (repo / "code.py").write_text("x = 1\n")
    (repo / "docs" / "A.md").write_text(
        "---\ntitle: A\nstatus: current\nupdated: 2020-01-01\ncovers:\n  - code.py\n---\n"
    )
    (repo / "docs" / "B.md").write_text(
        "---\ntitle: B\nstatus: current\nupdated: 2099-01-01\ncovers:\n  - code.py\n---\n"
    )
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "c", date="2021-06-01T12:00:00")
    rows = docs_debt.debt(repo)
    assert [r["doc"] for r in rows] == ["docs/A.md"]
    assert rows[0]["stale"] == [{"path": "code.py", "changed": "2021-06-01"}]


def test_docs_debt_main_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert docs_debt.main([]) == 0
    assert capsys.readouterr().out.strip()

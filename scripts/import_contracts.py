"""An import-linter contract type for submodules of external packages.

import-linter's ``forbidden`` contract only accepts top-level external packages
(``PySide6``), but our boundaries are finer: the worker may use ``PySide6.QtCore`` and
``PySide6.QtNetwork`` but never ``PySide6.QtGui`` or ``PySide6.QtWidgets``. grimp squashes
external packages to their top level, but keeps each import's source line, so this
contract looks at every import of the external package made by the source modules and by
every internal module they reach, and reads the submodule from that line.

Registered in pyproject.toml under ``[tool.importlinter] contract_types``.
"""

from __future__ import annotations

import re

from importlinter import Contract, ContractCheck, fields, output


def _pattern(module: str) -> re.Pattern[str]:
    """Matches ``import a.b``, ``from a.b[.c] import x`` and ``from a import b``."""
    parent, _, leaf = (re.escape(p) for p in module.rpartition("."))
    full = re.escape(module)
    return re.compile(
        rf"(^|\s)import\s+{full}(\.|\s|$|,)"
        rf"|from\s+{full}(\.\w+)*\s+import"
        rf"|from\s+{parent}\s+import\s+.*\b{leaf}\b"
    )


class ForbiddenSubmodulesContract(Contract):
    """Source modules (and what they import, transitively) never import these submodules."""

    type_name = "forbidden_submodules"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:  # type: ignore[no-untyped-def]
        forbidden = [str(m) for m in self.forbidden_modules]  # type: ignore[attr-defined]
        externals = {m.split(".")[0] for m in forbidden}
        patterns = {m: _pattern(m) for m in forbidden}
        violations: list[dict[str, object]] = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            name = source.name
            reached = {name} | graph.find_downstream_modules(name)
            reached |= {m for m in graph.modules if m.startswith(name + ".")}
            for module in sorted(reached):
                for ext in externals:
                    if module not in graph.modules or ext not in graph.modules:
                        continue
                    for detail in graph.get_import_details(importer=module, imported=ext):
                        line = detail["line_contents"]
                        for target, pattern in patterns.items():
                            if pattern.search(line):
                                violations.append({
                                    "source": name, "module": module, "target": target,
                                    "line": detail["line_number"], "text": line,
                                })
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for v in check.metadata["violations"]:
            output.print_error(
                f"{v['source']} must not import {v['target']}: "
                f"{v['module']}:{v['line']}: {v['text']}"
            )
            output.new_line()

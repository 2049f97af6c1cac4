"""The ``emberterm`` console script: the GUI by default, ``worker`` and ``cli`` as subcommands.

``emberterm [options]`` starts the GUI, ``emberterm worker`` runs the worker in the
foreground and ``emberterm cli ...`` talks to a running worker. Each part is imported only
when chosen, so the CLI never loads Qt's widget libraries.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["worker"]:
        from app.qtload import load_qt

        load_qt()  # before app.worker.main imports PySide6: see app/qtload.py
        from app.worker.main import main as worker_main

        return worker_main(args[1:])
    if args[:1] == ["cli"]:
        from app.cli.main import main as cli_main

        return cli_main(args[1:])
    from app.gui.main import main as gui_main

    return gui_main(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

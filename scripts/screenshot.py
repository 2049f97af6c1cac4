#!/usr/bin/env python3
"""Take a picture of Emberterm running a command, without a display.

    scripts/screenshot.py --output shot.png [--geometry 100x30] [--type TEXT] -- CMD [ARGS...]

Starts the app on Qt's offscreen platform with CMD in its one tab (kept open after CMD
exits, as with ``--hold``), waits until the screen has settled (no new frame for
``--settle`` seconds, after the first one), then saves ``window.grab()`` as a PNG.
``--type`` sends keystrokes to the program once it has drawn its first screen (``\\n``,
``\\r``, ``\\t`` and ``\\e`` are understood), e.g. to run commands in an interactive shell.

The default configuration is used, not the person's, so pictures are reproducible; pass
``--config FILE`` to choose one. Exit status: 0 when the picture was saved after the screen
settled, 1 when it was saved at the timeout without settling, 2 on a usage error.

Example: docs/screenshot.png, the README's picture, was made with

    scripts/screenshot.py --output docs/screenshot.png --geometry 90x20 \\
        --type "cd /usr && ls --color=always -lF lib | head -12\\nprintf '\\\\e[1;33m...'\\n" \\
        -- env PS1='\\[\\e[1;32m\\]ember@term\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]$ ' \\
        bash --norc --noprofile
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _geometry(text: str) -> tuple[int, int]:
    try:
        columns, rows = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected COLSxROWS like 100x30, got {text!r}"
        ) from None
    return columns, rows


def _unescape(text: str) -> bytes:
    table = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\e": "\x1b", "\\\\": "\\"}
    out = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in table:
            out.append(table[pair])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out).replace("\n", "\r").encode()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Save a PNG of Emberterm running a command (offscreen)."
    )
    parser.add_argument("--output", "-o", required=True, type=Path, help="PNG file to write")
    parser.add_argument("--geometry", type=_geometry, default=(100, 30), metavar="COLSxROWS")
    parser.add_argument("--type", dest="keys", default="", metavar="TEXT",
                        help="keystrokes to send once the program has drawn (\\n = Enter)")
    parser.add_argument("--settle", type=float, default=0.8, metavar="SECONDS",
                        help="quiet time that counts as settled (default 0.8)")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS")
    parser.add_argument("--config", type=Path, help="config file (default: built-in defaults)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("give the command after --, e.g. -- bash")
    return args


def take(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.config import Config, LoadResult, load_config
    from app.gui.app_state import AppState
    from app.gui.window import Launch

    app = QApplication.instance() or QApplication(["emberterm-screenshot"])
    loaded = load_config(args.config) if args.config else LoadResult(Config(), [])
    for warning in loaded.warnings:
        print(f"screenshot: {warning}", file=sys.stderr)
    state = AppState(loaded, watch=False, confirm=lambda *_: True)
    columns, rows = args.geometry
    window = state.new_window(
        Launch(argv=args.command, hold=True, columns=columns, rows=rows)
    )
    page = window.pages()[0]
    started = time.monotonic()
    last_frame = [0.0]
    frames = [0]
    typed = [not args.keys]
    settled = [False]

    def on_frame(_frame: object) -> None:
        frames[0] += 1
        last_frame[0] = time.monotonic()

    if page.handle is not None:
        page.handle.frame.connect(on_frame)

    def check() -> None:
        now = time.monotonic()
        quiet = now - last_frame[0] >= args.settle
        if frames[0] and quiet and not typed[0] and page.handle is not None:
            typed[0] = True
            page.handle.write(_unescape(args.keys))
            last_frame[0] = now
            return
        if (frames[0] or page.handle is None) and quiet and typed[0]:
            settled[0] = True
            app.exit(0)  # not quit(): in Qt 6 that closes (and here deletes) the windows
        elif now - started > args.timeout:
            app.exit(0)

    poll = QTimer()
    poll.setObjectName("screenshot_poll")
    poll.timeout.connect(check)
    poll.start(50)
    app.exec()
    poll.stop()
    window.repaint()
    image = window.grab()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(args.output), "PNG"):
        print(f"screenshot: cannot write {args.output}", file=sys.stderr)
        return 2
    state.confirm = lambda *_: True
    window.close()
    app.processEvents()
    if not settled[0]:
        print(f"screenshot: the screen did not settle in {args.timeout:g}s; saved anyway",
              file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({image.width()}x{image.height()})")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return take(args)


if __name__ == "__main__":
    sys.exit(main())

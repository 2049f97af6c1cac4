"""``emberterm cli ...``: remote control of the running worker.

It connects to the worker exactly as a GUI window does (hello with the user's token, then
requests), so what it reads is what windows show: ``get-text`` attaches, receives the same
full frame a window would, applies it to a ``terminal.frames.ScreenReplica`` and prints that.

Without ``--session``, commands act on ``$EMBERTERM_SESSION`` (set inside every session, so
a script run in a tab acts on its own tab), else on the newest session.

Exit status: 0 done, 1 other failure, 2 usage, 3 no worker running, 4 no such session,
5 refused by the worker (invalid request, overloaded, not allowed); 141 when the reader of
the output went away (``... | head``), quietly, as a Unix tool ended by SIGPIPE.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from app.cli.render import line_to_ansi
from app.paths import state_paths
from ipc.blocking import BlockingClient
from ipc.errors import ErrorKind, IpcError
from ipc.messages import MsgType
from ipc.security import read_token
from terminal.frames import Frame, ScreenReplica, line_from_wire, style_from_wire

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_WORKER, EXIT_NO_SESSION, EXIT_REFUSED = range(6)
EXIT_PIPE_CLOSED = 128 + 13  # 128 + SIGPIPE, what a shell reports for ``yes | head``
_EXIT_BY_KIND = {
    ErrorKind.UNAVAILABLE: EXIT_NO_WORKER,
    ErrorKind.NOT_FOUND: EXIT_NO_SESSION,
    ErrorKind.REJECTED: EXIT_REFUSED,
    ErrorKind.OVERLOADED: EXIT_REFUSED,
    ErrorKind.UNAUTHORIZED: EXIT_REFUSED,
    ErrorKind.UNSUPPORTED: EXIT_REFUSED,
}


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emberterm cli", description="Control the sessions of the running Emberterm worker."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the live sessions")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("get-text", help="print what a session's screen shows")
    p.add_argument("--session", help="session id (default: $EMBERTERM_SESSION, else newest)")
    p.add_argument("--escapes", action="store_true", help="keep colours and styles as SGR")
    p.add_argument("--scrollback", type=int, default=0, metavar="N",
                   help="also print the last N lines of history")

    p = sub.add_parser("send-text", help="type text into a session ('-' reads stdin)")
    p.add_argument("--session")
    p.add_argument("text", nargs="?", default="-")

    p = sub.add_parser("spawn", help="start a session (a new tab where a window is open)")
    p.add_argument("--cwd", help="start directory")
    p.add_argument("argv", nargs=argparse.REMAINDER, help="-- CMD ARGS... (default: your shell)")

    p = sub.add_parser("kill", help="end a session's program")
    p.add_argument("--session", required=True)

    p = sub.add_parser("status", help="the worker's health")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="search every transcript, newest first")
    p.add_argument("query")
    p.add_argument("--session")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("forget", help="remove transcripts for good")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--session")
    which.add_argument("--all", action="store_true")
    return parser


def connect() -> BlockingClient:
    paths = state_paths()
    try:
        token = read_token(paths.token_file)
    except FileNotFoundError:
        raise CliError("no Emberterm worker is running (start emberterm first)",
                       EXIT_NO_WORKER) from None
    return BlockingClient(paths.socket_name, token).connect()


def pick_session(client: BlockingClient, given: str | None) -> str:
    if given:
        return given
    env = os.environ.get("EMBERTERM_SESSION")
    if env:
        return env
    sessions = client.call(MsgType.SESSION_LIST, {})["sessions"]
    if not sessions:
        raise CliError("there are no sessions", EXIT_NO_SESSION)
    return str(max(sessions, key=lambda s: s.get("created", 0))["session"])


def screen_of(client: BlockingClient, sid: str, scrollback: int) -> ScreenReplica:
    """Attach, take the full frame a window would get, detach: the replica a window paints."""
    client.call(MsgType.SESSION_ATTACH, {"session": sid})
    packet = None
    while packet is None:
        packet = client.wait_notification(MsgType.FRAME, timeout=5.0)
        if packet is None:
            raise CliError("the worker sent no screen", EXIT_FAILED)
        if packet.payload.get("session") != sid:
            packet = None
    client.call(MsgType.SESSION_DETACH, {"session": sid})
    frame = Frame.from_wire(packet.payload["frame"])
    replica = ScreenReplica(frame.columns, frame.rows, max_history=max(scrollback, 1))
    replica.apply(frame)
    missing = min(scrollback, frame.history_size) - len(replica.history)
    if missing > 0:
        first = replica.first_held_number - missing
        got = client.call(MsgType.HISTORY_FETCH, {"session": sid, "first": first,
                                                  "count": missing})
        replica.styles.update({int(s[0]): style_from_wire(s[1:]) for s in got["styles"]})
        replica.prepend_history(first, [line_from_wire(item[1:]) for item in got["lines"]])
    return replica


def run(args: argparse.Namespace, out: Any) -> int:
    with connect() as client:
        if args.command == "list":
            sessions = client.call(MsgType.SESSION_LIST, {})["sessions"]
            if args.json:
                print(json.dumps(sessions, indent=2), file=out)
            for s in [] if args.json else sessions:
                title = s.get("title") or " ".join(s.get("argv", []))
                print(f"{s['session']}  pid {s['pid']:<7} {s['columns']}x{s['rows']}  {title}",
                      file=out)
        elif args.command == "get-text":
            replica = screen_of(client, pick_session(client, args.session), args.scrollback)
            lines = list(replica.history)[-args.scrollback:] if args.scrollback else []
            lines += replica.lines
            for line in lines:
                text = line_to_ansi(line, replica.styles) if args.escapes else line.text
                print(text.rstrip(), file=out)
        elif args.command == "send-text":
            text = sys.stdin.read() if args.text == "-" else args.text
            sid = pick_session(client, args.session)
            client.call(MsgType.SESSION_WRITE, {"session": sid, "data": text.encode()})
        elif args.command == "spawn":
            argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
            got = client.call(MsgType.SESSION_CREATE, {"argv": argv or None, "cwd": args.cwd})
            print(got["session"], file=out)
        elif args.command == "kill":
            client.call(MsgType.SESSION_CLOSE, {"session": args.session})
        elif args.command == "status":
            status = client.call(MsgType.STATUS, {})
            if args.json:
                print(json.dumps(status, indent=2), file=out)
            else:
                server = status.get("server", {})
                print(f"worker pid {status['pid']}, up {status['uptime']:.0f} s, "
                      f"{status['sessions']} sessions, {status['clients']} clients, "
                      f"{server.get('rss', 0) // (1 << 20)} MiB", file=out)
        elif args.command == "search":
            got = client.call(MsgType.SEARCH, {"query": args.query, "session": args.session,
                                               "limit": args.limit}, timeout=30.0)
            if args.json:
                print(json.dumps(got["hits"], indent=2), file=out)
            for hit in [] if args.json else got["hits"]:
                state = "live" if hit.get("live") else "ended"
                print(f"{hit['session']}:{hit['line']} ({state}) {hit['text'].rstrip()}",
                      file=out)
        elif args.command == "forget":
            got = client.call(MsgType.FORGET, {"session": None if args.all else args.session},
                              timeout=120.0)
            print(f"forgot {got['chunks']} transcript chunks", file=out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: Any = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return run(args, out or sys.stdout)
    except BrokenPipeError:
        # The reader is gone (``| head``): stop quietly. Python would flush stdout again
        # at exit and fail again, so it points at /dev/null from here on.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE_CLOSED
    except CliError as exc:
        print(f"emberterm cli: {exc}", file=sys.stderr)
        return exc.code
    except IpcError as exc:
        code = _EXIT_BY_KIND.get(exc.kind, EXIT_FAILED)
        message = exc.user_message()
        if code == EXIT_NO_WORKER:
            message = "no Emberterm worker is running (start emberterm first)"
        print(f"emberterm cli: {message}", file=sys.stderr)
        return code

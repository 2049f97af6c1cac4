"""Helpers for the Qt-side IPC tests: socket names, raw sockets, a fake clock, handlers,
and (run as a script) a small server or raw client in a child process.

Loaded by the tests under a unique module name (``load()`` in each test module), because
tests/ipc is not a package and another folder may have a helpers.py too.

    python tests/ipc/helpers.py serve NAME TOKEN   # an echo server; prints "ready"
    python tests/ipc/helpers.py idle NAME TOKEN    # a raw client: hello, then sleep
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ipc.framing import Packet, encode  # noqa: E402

HELPERS = Path(__file__).resolve()


def short_socket_name() -> str:
    """A fresh socket path in a fresh 0700 directory, short enough for sun_path."""
    return str(Path(tempfile.mkdtemp(prefix="et-")) / "s")


def raw_connect(name: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(name)
    return sock


def read_packet(sock: socket.socket) -> Packet:
    """One packet from a blocking raw socket."""
    from ipc.framing import decode_body

    (length,) = struct.unpack(">I", _read_exact(sock, 4))
    return decode_body(_read_exact(sock, length))


def _read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def hello_packet(token: str, kind: str = "gui", request_id: int = 1) -> Packet:
    payload = {"version": [1, 0], "kind": kind, "token": token, "pid": os.getpid()}
    return Packet(1, request_id, "hello-cid", payload)


def raw_hello(name: str, token: str, kind: str = "gui") -> tuple[socket.socket, Packet]:
    sock = raw_connect(name)
    sock.sendall(encode(hello_packet(token, kind)))
    return sock, read_packet(sock)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingHandler:
    """Echoes STATUS, fails on SEARCH "boom", hangs on SEARCH "hang"; records closes."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, Packet]] = []
        self.closed: list[Any] = []
        self.attached: set[Any] = set()

    def handle(self, client: Any, packet: Packet) -> Any:
        self.requests.append((client, packet))
        if packet.type == 18 and packet.payload.get("query") == "boom":
            raise RuntimeError("secret path /home/user/.token exploded")
        if packet.type == 18 and packet.payload.get("query") == "hang":
            import asyncio

            return asyncio.get_event_loop().create_future()  # never resolved
        if packet.type == 19:
            return {"pid": os.getpid(), "echo": True}
        return {"ok": True, "type": packet.type}

    def client_closed(self, client: Any) -> None:
        self.closed.append(client)

    def has_attached_sessions(self, client: Any) -> bool:
        return client in self.attached


def _serve(name: str, token: str) -> None:
    import asyncio

    import qasync
    from PySide6.QtCore import QCoreApplication

    from ipc.server import Server

    app = QCoreApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    server = Server(name, handler=RecordingHandler(), token=token)
    if not server.listen():
        print("not-listening", flush=True)
        sys.exit(3)
    print("ready", flush=True)
    with loop:
        loop.run_forever()


def _idle(name: str, token: str) -> None:
    _sock, reply = raw_hello(name, token)
    print(f"hello {reply.type}", flush=True)
    while True:  # never read again: pings pile up unanswered
        time.sleep(1)




class RawPeer:
    """A non-blocking raw socket for tests that run the Qt loop while they wait."""

    def __init__(self, name: str, *, rcvbuf: int | None = None) -> None:
        from ipc.framing import Decoder

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(name)
        self.sock.setblocking(False)
        self.decoder = Decoder(64 * 1024 * 1024)
        self.inbox: list[Packet] = []
        self.eof = False

    def send(self, packet: Packet) -> None:
        """Send it all, running the Qt loop while the kernel buffer is full (the server
        in this process has to read for the send to finish)."""
        from PySide6.QtCore import QCoreApplication

        view = memoryview(encode(packet))
        deadline = time.monotonic() + 10
        while view:
            try:
                view = view[self.sock.send(view):]
            except (BlockingIOError, InterruptedError):
                if time.monotonic() > deadline:
                    raise TimeoutError("peer does not read") from None
                QCoreApplication.processEvents()

    def poll(self) -> list[Packet]:
        while not self.eof:
            try:
                data = self.sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                self.eof = True
                break
            if not data:
                self.eof = True
                break
            self.inbox.extend(self.decoder.feed(data))
        return self.inbox

    def wait_for(self, qtbot: Any, pred: Any, timeout: int = 5000) -> Packet:
        found: list[Packet] = []

        def check() -> bool:
            for p in self.poll():
                if pred(p):
                    found.append(p)
                    return True
            return False

        qtbot.waitUntil(check, timeout=timeout)
        self.inbox.remove(found[0])
        return found[0]

    def wait_type(self, qtbot: Any, msg_type: int, timeout: int = 5000) -> Packet:
        return self.wait_for(qtbot, lambda p: p.type == msg_type, timeout)

    def wait_closed(self, qtbot: Any, timeout: int = 5000) -> None:
        qtbot.waitUntil(lambda: (self.poll(), self.eof)[1], timeout=timeout)

    def hello(self, qtbot: Any, token: str, kind: str = "gui") -> Packet:
        self.send(hello_packet(token, kind))
        return self.wait_for(qtbot, lambda p: p.request_id == 1)

    def request(self, qtbot: Any, msg_type: int, payload: Any, rid: int, cid: str = "") -> Packet:
        self.send(Packet(msg_type, rid, cid or f"cid{rid:09d}", payload))
        return self.wait_for(qtbot, lambda p: p.request_id == rid)

    def close(self) -> None:
        self.sock.close()


def _client(name: str, token: str) -> None:
    """A real ipc.client.Client that connects and then just stays (it answers pings)."""
    from PySide6.QtCore import QCoreApplication

    from ipc.client import Client

    app = QCoreApplication([])
    client = Client(name, token=token, kind="gui")
    client.connected.connect(lambda: print("connected", flush=True))
    client.disconnected.connect(app.quit)
    client.open()
    app.exec()


COMMANDS = {"serve": _serve, "idle": _idle, "client": _client}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    COMMANDS[command](*args)

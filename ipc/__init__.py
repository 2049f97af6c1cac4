"""The wire between GUI windows (and CLI clients) and the worker.

What it does: the message schema and its versioning (``ipc.messages``), length-prefixed
packets (``ipc.framing``), classified errors (``ipc.errors``) and the circuit breaker
(``ipc.breaker``) -- these four are Qt-free -- then the ``QLocalServer``/``QLocalSocket``
transport, server-side connection management and the client with its timeout boundary
and fallbacks.

What it does not do: it knows nothing of widgets, sessions or SQLite; it carries
``terminal.frames`` values but never builds them.
"""

"""The SQLite schema of the store and its migrations.

Each migration is a list of statements applied in one transaction; ``PRAGMA user_version``
records how many have run. Migrations are append-only: a released one is never edited,
a change is a new migration.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[list[str]] = [
    # 1: sessions, transcript chunks, per-session style tables, live screens, FTS5 index.
    [
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            command TEXT NOT NULL,          -- JSON list: argv
            cwd TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            ended REAL,                      -- NULL while running (or lost with its worker)
            exit_status INTEGER,
            window INTEGER NOT NULL DEFAULT 0,
            tab INTEGER NOT NULL DEFAULT 0,
            private INTEGER NOT NULL DEFAULT 0,
            lines_total INTEGER NOT NULL DEFAULT 0  -- history lines stored so far
        )
        """,
        # The transcript: lines that left the screen, in chunks of consecutive lines (one
        # chunk per session per write batch), so a flood costs a few rows a second rather
        # than one per line. text is the lines joined by newlines.
        """
        CREATE TABLE chunks (
            -- AUTOINCREMENT: ids are never reused, since the index's progress mark
            -- (meta.indexed_upto) would otherwise skip a reused id for ever.
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            first_number INTEGER NOT NULL,   -- absolute number of the chunk's first line
            count INTEGER NOT NULL,
            text TEXT NOT NULL,
            runs BLOB NOT NULL,              -- msgpack [[wrapped, mark, [[len, sid], ...]], ...]
            created REAL NOT NULL
        )
        """,
        "CREATE INDEX chunks_by_session ON chunks(session_id, first_number)",
        "CREATE INDEX chunks_by_created ON chunks(created)",
        # The screen of each session as last saved (periodically while it runs, and at
        # exit), so text that never scrolled off is not lost with a killed worker.
        """
        CREATE TABLE screens (
            session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            first_number INTEGER NOT NULL,
            text TEXT NOT NULL,
            runs BLOB NOT NULL,
            saved REAL NOT NULL
        )
        """,
        """
        CREATE TABLE styles (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            id INTEGER NOT NULL,
            style BLOB NOT NULL,             -- msgpack of terminal.frames.Style fields
            PRIMARY KEY (session_id, id)
        ) WITHOUT ROWID
        """,
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
        "INSERT INTO meta(key, value) VALUES ('indexed_upto', 0)",
        # Transcript bytes kept, maintained by triggers so retention reads it in O(1).
        "INSERT INTO meta(key, value) VALUES ('content_bytes', 0)",
        """
        CREATE TRIGGER chunks_count_in AFTER INSERT ON chunks BEGIN
            UPDATE meta SET value = value + length(CAST(new.text AS BLOB)) + length(new.runs)
            WHERE key = 'content_bytes';
        END
        """,
        """
        CREATE TRIGGER chunks_count_out AFTER DELETE ON chunks BEGIN
            UPDATE meta SET value = value - length(CAST(old.text AS BLOB)) - length(old.runs)
            WHERE key = 'content_bytes';
        END
        """,
        # External-content FTS5 table over chunks.text; trigram, so substrings match. It
        # trails the writes: meta.indexed_upto is the highest chunks.id indexed, and
        # search scans the chunks above it directly.
        """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            text, content='chunks', content_rowid='id', tokenize='trigram'
        )
        """,
        # Deleting an indexed chunk (retention, forget, a cascade) removes it from the
        # index too; chunks above indexed_upto were never in it.
        """
        CREATE TRIGGER chunks_unindex AFTER DELETE ON chunks
        WHEN old.id <= (SELECT value FROM meta WHERE key = 'indexed_upto')
        BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END
        """,
    ],
    # 2: sessions that ended with their worker (crash, reboot) rather than on their own,
    # so a GUI can offer to reopen the last layout with fresh shells.
    [
        "ALTER TABLE sessions ADD COLUMN lost INTEGER NOT NULL DEFAULT 0",
    ],
    # 3: a flood's chunk is written raw (the emulator's compact entries, headers in the
    # text) and rewritten clean by the indexer; keep the byte count right across that.
    [
        """
        CREATE TRIGGER chunks_count_update AFTER UPDATE OF text, runs ON chunks BEGIN
            UPDATE meta SET value = value
                + length(CAST(new.text AS BLOB)) + length(new.runs)
                - length(CAST(old.text AS BLOB)) - length(old.runs)
            WHERE key = 'content_bytes';
        END
        """,
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database up to ``SCHEMA_VERSION``; returns the version it was at."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database has schema version {version}, newer than this Emberterm "
            f"({SCHEMA_VERSION}); refusing to touch it"
        )
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return int(version)

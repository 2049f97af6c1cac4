"""The worker process: hosts sessions (PTY + emulator), schedules frames per client and
keeps session records and transcripts in SQLite. It imports QtCore only -- never QtGui or
QtWidgets (an import-linter contract checks this)."""

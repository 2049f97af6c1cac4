import sys

from app.qtload import load_qt

load_qt()  # before app.worker.main imports PySide6: see app/qtload.py

from app.worker.main import main  # noqa: E402

sys.exit(main())

import sys

from app.worker.main import main

sys.exit(main())

"""``python -m fundstelle search "Frage"`` and ``python -m fundstelle ingest [PATH ...]``."""

import sys

from .cli import main

sys.exit(main())

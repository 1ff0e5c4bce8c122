"""``python -m fundstelle ask|search QUESTION``, ``… ingest [PATH ...]`` and ``… serve``."""

import sys

from .cli import main

sys.exit(main())

#!/usr/bin/env python3
"""Build or update a Fundstelle index.

    python ingest.py [PATH ...] [--index DIR] [--model ID] [--rebuild] [--remove PATH]
                     [--store milvus] [--milvus-uri URI] [--ray [ADDRESS]]

With no PATH it indexes the bundled German article into ``index/``.
"""

import sys

from fundstelle.cli import ingest_main

if __name__ == "__main__":
    sys.exit(ingest_main())

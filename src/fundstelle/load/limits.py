"""What loading one file may spend: bytes read, bytes inflated, seconds parsing.

Every reader takes its budget from here (read at call time, so a test or a caller can
lower one for a run). Over a budget, the file is skipped with the reason.
"""

from __future__ import annotations

# A document's text is held in memory while it is chunked and embedded; larger files
# are refused with a reason instead of exhausting the machine.
MAX_FILE_BYTES = 256 * 2**20
# Files are read and decoded in blocks of this many bytes (long texts are chunked in
# blocks too: fundstelle.chunk.text_blocks), so no step needs work or memory beyond a
# small multiple of the text itself.
READ_BLOCK_BYTES = 2**20
# Budgets for parsing one file: a PDF's pages inflate to at most PDF_PAGE_BYTES each and
# PDF_FILE_BYTES together (pypdf parses about 4 MB of page content a second; a 700 KB
# PDF can inflate to 700 MB), and a PDF or HTML page takes at most PARSE_SECONDS.
PDF_PAGE_BYTES = 16 * 2**20
PDF_FILE_BYTES = 256 * 2**20
PARSE_SECONDS = 60.0
# Word and OpenDocument files are ZIP archives of XML. Before a parser sees one, its
# directory is checked: at most ZIP_MEMBERS files, ZIP_FILE_BYTES inflated together, and
# no member over a MiB that inflates more than ZIP_RATIO times (deflate reaches ~1000:1;
# a zip bomb lives there, while XML and text stay well under 100:1). Python's zipfile
# never inflates a member past the size the directory declares, so the check holds.
ZIP_MEMBERS = 10_000
ZIP_FILE_BYTES = 256 * 2**20
ZIP_RATIO = 100

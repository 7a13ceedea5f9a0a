"""Caps on what a user can hand in, checked before any work is done (docs/security.md lists them).

A township congress has at most 160 deputies; every cap leaves room above what a lawful session needs
and far below what would cost the server seconds or memory.
"""

from __future__ import annotations

from datetime import date

KIB = 1024

# Bytes per kind of input file (CLI and dashboard alike), checked on the file's size before it is read.
MAX_FILE_BYTES: dict[str, int] = {
    "session": 256 * KIB,  # the sample is ~5 KB
    "roster": 512 * KIB,  # 160 deputies with every column: ~30 KB
    "attendance": 256 * KIB,
    "tallies": 256 * KIB,
    "suggestions": 1024 * KIB,  # a year of suggestions with their texts
    "items": 512 * KIB,  # resolution follow-up items
    "records": 1024 * KIB,  # petitions, trainings, reports to voters (a year of each)
    "meeting": 256 * KIB,  # a presidium meeting or supervision activity file
    "template": 256 * KIB,  # one document template of a township's override folder (the largest built-in: ~8 KB)
    "holidays": 64 * KIB,  # one year's holiday arrangement (config/holidays/): ~2 KB
    "photo": 1536 * KIB,  # a deputy's photo of a paper draft (JPEG/PNG), within one request body
    "material": 2016 * KIB,  # a session material (PDF) staff release to deputies, within one request body
}
# An .xlsx is a zip of XML parts: besides its bytes on disk (MAX_FILE_BYTES), what it unpacks to, its parts,
# its cells and merged areas are capped before any part is parsed (a zip bomb, a million merged cells).
MAX_XLSX_UNCOMPRESSED = 16 * 1024 * KIB  # a 160-deputy roster unpacks to ~150 KB
MAX_XLSX_PARTS = 500
MAX_XLSX_CELLS = 100_000  # cells (and merged cells) in all sheets: 1,000 rows of 100 columns
MAX_XLSX_ROWS = 1_000  # data rows read from one sheet
# One dashboard request body (a form or an upload of a session file with its roster).
MAX_REQUEST_BYTES = 2 * 1024 * KIB
# A form field of free text (comments, a suggestion's text, a reply).
MAX_TEXT_CHARS = 20_000

MAX_DEPUTIES = 1_000  # rows in a roster; the Election Law's cap for a township is checked by the rules
MAX_ELECTION_ROUNDS = 20  # rounds of one election in one tallies file or form
MAX_CANDIDATES = 50  # candidates (and write-ins) in one round
MAX_ROW_ID = 2**31 - 1  # a row id in a URL: larger ones are 404, never a database overflow

# Shapes of the files themselves: a lawful session file nests 5 levels and lists at most a few hundred
# items; YAML anchors and aliases are refused outright (a few lines of them expand exponentially).
MAX_YAML_DEPTH = 12
MAX_LIST_ITEMS = 1_000  # items of one list in a session, tallies or meeting file
MAX_ORDINAL = 99  # a term's or a session's number (第十八届, 第三次会议)
DATE_RANGE = (date(1990, 1, 1), date(2099, 12, 31))  # any date a file carries; date arithmetic stays far from 9999
YEAR_RANGE = (1949, 2099)  # a term's first year

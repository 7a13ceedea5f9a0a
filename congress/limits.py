"""Caps on what a user can hand in, checked before any work is done (docs/security.md lists them).

A township congress has at most 160 deputies; every cap leaves room above what a lawful session needs
and far below what would cost the server seconds or memory.
"""

from __future__ import annotations

KIB = 1024

# Bytes per kind of input file (CLI and dashboard alike).
MAX_FILE_BYTES: dict[str, int] = {
    "session": 256 * KIB,  # the sample is ~5 KB
    "roster": 512 * KIB,  # 160 deputies with every column: ~30 KB
    "attendance": 256 * KIB,
    "tallies": 256 * KIB,
    "suggestions": 1024 * KIB,  # a year of suggestions with their texts
    "items": 512 * KIB,  # resolution follow-up items
}
# One dashboard request body (a form or an upload of a session file with its roster).
MAX_REQUEST_BYTES = 2 * 1024 * KIB
# A form field of free text (comments, a suggestion's text, a reply).
MAX_TEXT_CHARS = 20_000

MAX_DEPUTIES = 1_000  # rows in a roster; the Election Law's cap for a township is checked by the rules
MAX_ELECTION_ROUNDS = 20  # rounds of one election in one tallies file or form
MAX_CANDIDATES = 50  # candidates (and write-ins) in one round
MAX_ROW_ID = 2**31 - 1  # a row id in a URL: larger ones are 404, never a database overflow

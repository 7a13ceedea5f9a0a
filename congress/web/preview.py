"""Reading a document in the page, without a PDF viewer: each PDF page as an image (poppler's pdftoppm,
as a phone or an office PC shows any image), and while the PDF is still being made, the .docx's text.

Images are made on request and kept in memory (a page ~0.1 s to make, ~60 KB); they are keyed by the
PDF's bytes, so a document made again is never shown stale.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections import OrderedDict
from pathlib import Path
from threading import Lock

DPI = 80
MAX_PAGES = 40  # a longer document is read from its download
MAX_PARAGRAPHS = 400
_CACHE: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_CACHE_SIZE = 128
_LOCK = Lock()


def available() -> bool:
    """poppler's tools are installed (scripts/system-packages.txt)."""
    return shutil.which("pdftoppm") is not None and shutil.which("pdfinfo") is not None


def page_count(pdf: Path) -> int:
    """How many pages the PDF has (0 when it cannot be read)."""
    if not available() or not pdf.is_file():
        return 0
    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, timeout=20, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return 0
    found = re.search(rb"^Pages:\s+(\d+)", out, re.M)
    return min(int(found.group(1)), MAX_PAGES) if found else 0


def page_png(pdf: Path, number: int) -> bytes | None:
    """Page `number` (1-based) of the PDF as a PNG, or None when there is no such page."""
    if not available() or not pdf.is_file() or not 1 <= number <= MAX_PAGES:
        return None
    data = pdf.read_bytes()
    key = (hashlib.sha256(data).hexdigest(), number)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    try:
        image = subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(number), "-l", str(number),
                                "-singlefile", "-"], input=data, capture_output=True, timeout=30, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    if not image.startswith(b"\x89PNG"):
        return None
    with _LOCK:
        _CACHE[key] = image
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return image


def docx_text(path: Path) -> list[str]:
    """The paragraphs of a .docx (tables' cells included), to read before its PDF is made."""
    import docx

    try:
        document = docx.Document(str(path))
    except Exception:  # noqa: BLE001 - not readable: the page offers the download instead
        return []
    lines = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if any(cells):
                lines.append("　".join(dict.fromkeys(cells)))
    return lines[:MAX_PARAGRAPHS]

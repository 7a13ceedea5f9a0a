"""Serving a stored document (congress/storage.py): from the folder on this machine, or from the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import FileResponse, Response, StreamingResponse

from congress import storage
from congress.web import preview

MEDIA = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".pdf": "application/pdf", ".ics": "text/calendar; charset=utf-8",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".json": "application/json"}
CHUNK = 256 * 1024


def download(store: storage.Store, rel: str, *, filename: str | None = None, inline: bool = False) -> Response:
    """The file at rel as a download (404 when it is not kept); the name shown is the file's own."""
    name = filename or Path(rel).name
    media = MEDIA.get(Path(rel).suffix, "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    if isinstance(store, storage.FileStore):
        try:
            root = store.root.resolve()
            path = store.path(rel).resolve()
        except FileNotFoundError:
            raise HTTPException(404) from None
        if not path.is_relative_to(root) or not path.is_file():
            raise HTTPException(404)
        return FileResponse(path, media_type=media, filename=name, content_disposition_type=disposition)
    try:
        data = store.get(rel)
    except FileNotFoundError:
        raise HTTPException(404) from None
    quoted = quote(name)  # as FileResponse writes the header: Chinese names as RFC 5987 filename*
    header = f"{disposition}; filename*=utf-8''{quoted}" if quoted != name else f'{disposition}; filename="{name}"'
    return StreamingResponse(_chunks(data), media_type=media,
                             headers={"content-disposition": header, "content-length": str(len(data))})


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]


def kept(store: storage.Store, rel: str) -> bool:
    try:
        return store.exists(rel)
    except FileNotFoundError:
        return False


def page_png(store: storage.Store, rel: str, number: int) -> bytes | None:
    """Page `number` of the stored PDF at rel as an image (congress/web/preview.py)."""
    if not kept(store, rel):
        return None
    with store.local([rel]) as local:
        return preview.page_png(local[rel], number)


def page_count(store: storage.Store, rel: str) -> int:
    if not kept(store, rel):
        return 0
    with store.local([rel]) as local:
        return preview.page_count(local[rel])


def docx_text(store: storage.Store, rel: str) -> list[str]:
    if not kept(store, rel):
        return []
    with store.local([rel]) as local:
        return preview.docx_text(local[rel])

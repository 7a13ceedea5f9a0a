"""Calendar feeds over HTTP: GET /feeds/<token>.ics. As thin as a flow: the core builds the feed.

An unknown or revoked token gets a bare 404 with an empty body, the same as any other miss.
Validators: a strong ETag (hash of the body) and Last-Modified (latest change), with 304 answers to
If-None-Match and, when that is absent, If-Modified-Since. HEAD answers the headers GET would, the
real Content-Length included, without the body. A feed only reads: on SQLite it never takes the write
lock, so subscribed phones polling every hour never wait on a running flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from congress.calendar import feeds
from congress.db import engine_for, read_scope

router = APIRouter()

CONTENT_TYPE = "text/calendar; charset=utf-8"
# per-person content: no shared caches; clients revalidate with the ETag every time
CACHE_CONTROL = "private, no-cache"


def feed_db(request: Request) -> Iterator[Session]:
    """A read-only database session for one feed request (tests override this dependency)."""
    with read_scope(engine_for(request.app.state.settings.database_url)) as db:
        yield db


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


@router.api_route("/feeds/{token}.ics", methods=["GET", "HEAD"], include_in_schema=False)
def feed(token: str, request: Request, db: Session = Depends(feed_db)) -> Response:  # noqa: B008
    found = feeds.active_token(db, token)
    if found is None:
        return Response(status_code=404)
    built = feeds.build_feed(db, found)
    headers = {"ETag": built.etag, "Last-Modified": format_datetime(built.last_modified, usegmt=True),
               "Cache-Control": CACHE_CONTROL}
    if _not_modified(request, built.etag, built.last_modified):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    if request.method == "HEAD":
        # the length of the body GET would send; Starlette keeps a Content-Length it is given
        headers["Content-Length"] = str(len(built.body))
        return Response(content=b"", media_type=CONTENT_TYPE, headers=headers)
    return Response(content=built.body, media_type=CONTENT_TYPE, headers=headers)

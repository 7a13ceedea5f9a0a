"""The shared document store's tables (CONGRESS_DOCUMENT_STORE=database): contents by hash, and a path index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress.db import Base
from congress.models._types import UTCDateTime


class StoredContent(Base):
    """One file's bytes, stored once however many paths name them (bytea on PostgreSQL, a blob on SQLite)."""

    __tablename__ = "stored_content"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StoredFile(Base):
    """A path in a scope ("session/<key>" or "township/<code>") and the content it holds now."""

    __tablename__ = "stored_file"
    __table_args__ = (UniqueConstraint("scope", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(160), index=True)
    path: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_content.sha256"))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())

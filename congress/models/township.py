"""Township, its terms (届), deputies (代表) and government officers."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from congress.db import Base
from congress.models._types import intpk

if TYPE_CHECKING:
    from congress.models.session import CongressSession


class Township(Base):
    __tablename__ = "township"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(String(64), default="")
    profile: Mapped[str] = mapped_column(String(32))
    party_committee: Mapped[str] = mapped_column(String(128))
    presidium_name: Mapped[str] = mapped_column(String(128))
    government_name: Mapped[str] = mapped_column(String(128))
    doc_prefix: Mapped[str] = mapped_column(String(16))
    # The NAME of the township's template folder under settings.template_overrides_dir, set by an
    # administrator (congress.documents.overrides.set_township_templates); None: the default templates.
    templates_dir: Mapped[str | None] = mapped_column(String(512), default=None)

    terms: Mapped[list[Term]] = relationship(back_populates="township", order_by="Term.ordinal")
    officers: Mapped[list[Officer]] = relationship(back_populates="township", order_by="Officer.position")


class Term(Base):
    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("township_id", "ordinal"),)

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    ordinal: Mapped[int]
    start_year: Mapped[int]
    # The general election that produced this term's deputies: the day it was completed (LOL 第二十条
    # counts the first session's two months from it), the township's population and the number of
    # deputies the county fixed for the term (EL 第十二、十三条); None when the session file gives none.
    election_date: Mapped[date | None] = mapped_column(default=None)
    population: Mapped[int | None] = mapped_column(default=None)
    deputy_quota: Mapped[int | None] = mapped_column(default=None)
    quota_extra: Mapped[bool] = mapped_column(default=False)  # +5 % decided by the province (EL 第十二条)

    township: Mapped[Township] = relationship(back_populates="terms")
    deputies: Mapped[list[Deputy]] = relationship(back_populates="term", order_by="Deputy.position")
    sessions: Mapped[list[CongressSession]] = relationship(back_populates="term")


class Deputy(Base):
    __tablename__ = "deputy"
    __table_args__ = (UniqueConstraint("term_id", "code"),)

    id: Mapped[intpk]
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(8), default="")
    group_name: Mapped[str] = mapped_column(String(64))
    constituency: Mapped[str] = mapped_column(String(64), default="")
    contact: Mapped[str] = mapped_column(String(64), default="")
    occupation: Mapped[str] = mapped_column(String(128), default="")
    ethnicity: Mapped[str] = mapped_column(String(16), default="")  # 民族
    born: Mapped[str] = mapped_column(String(16), default="")  # 出生年月, YYYY-MM
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended

    term: Mapped[Term] = relationship(back_populates="deputies")


class Officer(Base):
    """A government officer or office holder who presents reports."""

    __tablename__ = "officer"

    id: Mapped[intpk]
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64))

    township: Mapped[Township] = relationship(back_populates="officers")

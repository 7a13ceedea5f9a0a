"""Workbooks and statute texts in the dashboard: blank templates to fill in, lists exported as .xlsx,
and the article a rule cites. As thin as a flow: congress/workbooks.py and congress/law.py do the work.

GET /templates/<kind>.xlsx                    a blank template (any log-in)
GET /sessions/<key>/templates/<kind>.xlsx     the same, filled with the session's deputies, votes, candidates
GET /county.xlsx                              the county view (county role)
GET /townships/<code>/overdue.xlsx            a township's overdue list as of today
GET /holidays/<year>                          where a year's holiday arrangement comes from, or how to add it
GET /law/<file> and /law/<file>/<article>     a statute, or one article of it (any log-in)
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, HTTPException, Path, Request
from fastapi.responses import Response

from congress import holidays, law, workbooks
from congress.followup.common import FollowupError, township_by_code
from congress.followup.reports import overdue_workbook
from congress.followup.sweeper import overdue_rounds
from congress.ical.builder import local_today
from congress.profiles import STATUTE_NAMES, Citation
from congress.settings import Settings
from congress.web import render
from congress.web.deps import DB, CurrentViewer, Key, visible_session

router = APIRouter()

Kind = Annotated[str, Path(min_length=1, max_length=32)]
Code = Annotated[str, Path(min_length=1, max_length=64)]
LawFile = Annotated[str, Path(min_length=1, max_length=80)]
Article = Annotated[str, Path(min_length=1, max_length=16)]


_LABEL = re.compile(r"^(《[^》]+》)(第[一二三四五六七八九十百零]+条)")


def law_href(citation: Any) -> str:
    """The dashboard's address of a cited article — a Citation, “file.md 第N条” or “《地方组织法》第十四条” —
    or '' when it names none of the statutes in law/."""
    if isinstance(citation, Citation):
        file, article = citation.file, citation.article
    else:
        try:
            parsed = Citation.parse(str(citation))
            file, article = parsed.file, parsed.article
        except ValueError:
            match = _LABEL.match(str(citation).strip())
            files = [f for f, name in STATUTE_NAMES.items() if match and name == match[1]]
            if not files:
                return ""
            file, article = files[0], match[2] if match else ""
    return f"/law/{quote(file)}/{quote(article)}"


def setup(app: FastAPI, settings: Settings) -> None:
    """Pages link each cited article to its text: `<a href="{{ law_href(rule.citation) }}">`."""
    app.state.jinja.globals["law_href"] = law_href


def _xlsx(data: bytes, name: str) -> Response:
    # RFC 6266: the Chinese file name percent-encoded, and an ASCII fallback for old clients
    disposition = f"attachment; filename=\"workbook.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=workbooks.XLSX_MEDIA,
                    headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"})


def _kind(kind: str) -> str:
    if kind not in workbooks.TEMPLATE_KINDS:
        raise HTTPException(404)
    return kind


@router.get("/templates/{kind}.xlsx")
def blank_template(kind: Kind, who: CurrentViewer) -> Response:
    kind = _kind(kind)
    return _xlsx(workbooks.template(kind), f"{workbooks.TEMPLATE_TITLES[kind]}（模板）.xlsx")


@router.get("/sessions/{key}/templates/{kind}.xlsx")
def session_template(key: Key, kind: Kind, who: CurrentViewer, db: DB) -> Response:
    kind = _kind(kind)
    session = visible_session(db, who, key)
    data = workbooks.session_data(db, session.key)
    return _xlsx(workbooks.template(kind, session=data), f"{data.title}{workbooks.TEMPLATE_TITLES[kind]}.xlsx")


@router.get("/county.xlsx")
def county_export(who: CurrentViewer, db: DB) -> Response:
    who.require("county")
    return _xlsx(workbooks.county_workbook(db), f"各乡镇会议进度-{local_today().isoformat()}.xlsx")


@router.get("/townships/{code}/overdue.xlsx")
def overdue_export(code: Code, who: CurrentViewer, db: DB) -> Response:
    if not who.sees(code):
        raise HTTPException(404)
    try:
        township = township_by_code(db, code)
    except FollowupError:
        raise HTTPException(404) from None
    today = local_today()
    data = overdue_workbook(overdue_rounds(db, township, today=today), township=township, today=today)
    return _xlsx(data, f"{township.name}逾期清单-{today.isoformat()}.xlsx")


def _statute(file: str) -> law.Statute:
    try:
        return law.load_statute(file)
    except KeyError:
        raise HTTPException(404) from None


Year = Annotated[int, Path(ge=2000, le=2099)]


@router.get("/holidays/{year}")
def holidays_page(year: Year, request: Request, who: CurrentViewer) -> Response:
    """Where a year's holiday arrangement comes from, or how to add it from the State Council's notice."""
    source = holidays.source_of(year)
    runs, workdays = holidays.year_days(year) if source["kind"] != "none" else ([], [])
    return render.page(request, "holidays.html", who=who, year=year, source=source, runs=runs, workdays=workdays)


@router.get("/law/{file}")
def statute_page(file: LawFile, request: Request, who: CurrentViewer) -> Response:
    statute = _statute(file)
    return render.page(request, "law.html", who=who, statute=statute, article=None, text=None)


@router.get("/law/{file}/{article}")
def article_page(file: LawFile, article: Article, request: Request, who: CurrentViewer) -> Response:
    statute = _statute(file)
    label = law.article_label(article)
    text = statute.articles.get(label) if label else None
    if text is None:
        raise HTTPException(404)
    return render.page(request, "law.html", who=who, statute=statute, article=label, text=text)

"""Fast tier: the rule audit (docs/rules.md) kept in step with the profiles and the statutes, and the boundary of
every rule it lists that congress/rules.py and congress/lifecycle/elections.py enforce — both sides of each
number and date, as pure functions (milliseconds) or as a session file refused at load with the rule's article.

Article references: LOL = local-organic-law-2022.md, DL = deputies-law-2025.md, EL = election-law-2020.md,
ZJ/CQ/SD/HN = the Zhejiang/Chongqing/Shandong/Henan regulations.
"""

from __future__ import annotations

import difflib
import importlib
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

import congress
from congress import rules
from congress.errors import InputError
from congress.holidays import is_rest_day
from congress.inputs import load_session_file
from congress.lifecycle import elections
from congress.lifecycle.elections import ElectionSpec, RoundData
from congress.profiles import available_profiles, load_profile

REPO = Path(congress.__file__).resolve().parents[1]
DOC = REPO / "docs" / "rules.md"
SAMPLE = REPO / "config" / "sample"
# the statute texts: in the repository (law/), or the project's domain reference beside it
LAW_DIR = next((p for p in (REPO / "law", REPO.parent / "shared" / "domain" / "law") if p.is_dir()), REPO / "law")

PROFILES = {name: load_profile(name) for name in available_profiles()}
NATIONAL, ZHEJIANG, CHONGQING = PROFILES["national"], PROFILES["zhejiang"], PROFILES["chongqing"]
SHANDONG, HENAN = PROFILES["shandong"], PROFILES["henan"]

LOL = "《地方组织法》"
CQ = "《重庆市乡镇人民代表大会工作条例》"
ZJ = "《浙江省乡镇人民代表大会工作条例》"


def never_rest(_: date) -> bool:
    return False


# --- docs/rules.md and the profiles ------------------------------------------------------------

HEADING = re.compile(r"^### (?P<file>[a-z0-9-]+\.md) (?P<article>第[一二三四五六七八九十百零]+条)$")
ARTICLE_HEAD = re.compile(r"^(第[一二三四五六七八九十百零]+条)[ \u3000]")
SECTION_HEAD = re.compile(r"^(#|第[一二三四五六七八九十百零]+[章节编][ \u3000]?)")
RULE_REF = re.compile(r"`(" + "|".join(PROFILES) + r")\.([a-z_]+)`")
CODE_REF = re.compile(r"`(congress(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def doc_sections() -> dict[tuple[str, str], list[str]]:
    """(file, article) → the lines under that heading of docs/rules.md, up to the next heading."""
    sections: dict[tuple[str, str], list[str]] = {}
    current: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            head = HEADING.match(line)
            current = sections.setdefault((head["file"], head["article"]), []) if head else None
        elif current is not None:
            current.append(line)
    return sections


def article_text(file: str, article: str) -> str | None:
    collected: list[str] = []
    inside = False
    for line in (LAW_DIR / file).read_text(encoding="utf-8").splitlines():
        head = ARTICLE_HEAD.match(line)
        if head:
            if inside:
                break
            inside = head.group(1) == article
        elif inside and SECTION_HEAD.match(line):
            break
        if inside:
            collected.append(line)
    return "\n".join(collected) if collected else None


def test_the_audit_page_has_sections_for_every_statute():
    files = {file for file, _ in doc_sections()}
    assert files == {p.name for p in LAW_DIR.glob("*.md") if p.name != "README.md"}


def test_every_profile_rule_is_listed_under_its_article_and_nothing_else():
    """Both ways: a rule a profile declares (not inherits) is named `profile.key` under the heading of the
    article it cites; every `profile.key` on the page is such a rule."""
    declared = {(name, key, str(spec.citation)) for name, profile in PROFILES.items()
                for key, spec in profile.rules.items() if spec.source_profile == name}
    listed = {(m[1], m[2], f"{file} {article}") for (file, article), lines in doc_sections().items()
              for m in RULE_REF.finditer("\n".join(lines))}
    assert declared - listed == set(), "rules missing from docs/rules.md (profile, key, citation)"
    assert listed - declared == set(), "docs/rules.md names rules the profiles do not have with that citation"


@pytest.mark.parametrize(("file", "article"), sorted(doc_sections()))
def test_every_quote_is_in_its_article(file, article):
    text = article_text(file, article)
    assert text, f"{file} {article} is not in {LAW_DIR}"
    flat = re.sub(r"\s", "", text)
    for line in doc_sections()[(file, article)]:
        if not line.startswith("> "):
            continue
        quote = re.sub(r"\s", "", line[2:])
        if quote in flat:
            continue
        blocks = difflib.SequenceMatcher(None, quote, flat, autojunk=False).get_matching_blocks()
        share = sum(b.size for b in blocks if b.size >= 2) / len(quote)
        assert share >= 0.95, f"{file} {article}: only {share:.0%} of «{line[2:]}» is in the article"


def test_every_section_quotes_its_article():
    empty = [f"{file} {article}" for (file, article), lines in doc_sections().items()
             if not any(line.startswith("> ") for line in lines)]
    assert not empty


def test_every_function_named_on_the_page_exists():
    missing = []
    for name in sorted(set(CODE_REF.findall(DOC.read_text(encoding="utf-8")))):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(name)
            break
        else:
            missing.append(name)
    assert not missing


def test_every_test_named_on_the_page_exists():
    missing = [f"{file}::{name}" for file, name in TEST_REF.findall(DOC.read_text(encoding="utf-8"))
               if not (REPO / file).is_file() or f"def {name}(" not in (REPO / file).read_text(encoding="utf-8")]
    assert not missing


def test_the_sync_check_can_fail(tmp_path):
    """The page parser really finds rules and quotes (so the checks above can fail)."""
    sections = doc_sections()
    assert ("local-organic-law-2022.md", "第十八条") in sections
    refs = RULE_REF.findall("\n".join(sections[("chongqing-township-congress-2016.md", "第三十条")]))
    assert ("chongqing", "presidium_size") in refs
    assert article_text("local-organic-law-2022.md", "第九百条") is None


# --- profiles: deviations, each with the province's own article ---------------------------------


def test_chongqing_extraordinary_session_has_no_notice_exemption_cq_11():
    """CQ 第十一条 gives ten days' notice with no exemption: an extraordinary session 9 days ahead is late."""
    spec = CHONGQING.rule("notice_exempt_extraordinary")
    assert spec["value"] is False and spec.source_profile == "chongqing"
    opening = date(2026, 12, 22)
    late = rules.notice_timing(CHONGQING, kind="extraordinary", notice_date=date(2026, 12, 13),
                               materials_date=date(2026, 12, 20), opening_date=opening)
    assert late[0].ok is False and late[0].citation.label == f"{CQ}第十一条"
    in_time = rules.notice_timing(CHONGQING, kind="extraordinary", notice_date=date(2026, 12, 12),
                                  materials_date=date(2026, 12, 20), opening_date=opening)
    assert all(c.ok for c in in_time)
    # the baseline's exemption is practice, not LOL 第十四条; Zhejiang's has its own article
    assert NATIONAL.rule("notice_exempt_extraordinary").basis == "practice"
    assert ZHEJIANG.rule("notice_exempt_extraordinary").citation.label == f"{ZJ}第二十条"


def test_every_inherited_rule_cites_national_law_or_practice():
    """A province inherits only what national law (LOL, DL, EL) or a practice value says for it."""
    national_files = {"local-organic-law-2022.md", "deputies-law-2025.md", "election-law-2020.md"}
    for name, profile in PROFILES.items():
        for key, spec in profile.rules.items():
            if spec.source_profile == "national":
                assert spec.citation.file in national_files or spec.basis == "practice", (name, key)


def test_henan_profile_cites_the_henan_regulation():
    hn = HENAN
    assert hn.title == "河南省"
    own = {k for k, s in hn.rules.items() if s.source_profile == "henan"}
    assert own == {"presidium_size", "presidium_incompatible", "presidium_meeting_interval_months", "chair_seats",
                   "chair_from_deputies", "presidium_includes_chairs"}
    assert all(hn.rule(k).citation.file == "henan-township-presidium-2016.md" for k in own)
    assert hn.rule("presidium_size").citation.label == "《河南省乡镇人民代表大会主席团工作条例》第二条"


# --- LOL 第十四条: extraordinary sessions ------------------------------------------------------------


@pytest.mark.parametrize(("total", "required"), [(60, 12), (61, 13), (45, 9), (160, 32)])
def test_extraordinary_session_needs_one_fifth_lol_14(total, required):
    assert rules.extraordinary_proposal(NATIONAL, proposers=required, total=total).ok is True
    short = rules.extraordinary_proposal(NATIONAL, proposers=required - 1, total=total)
    assert short.ok is False and short.detail["required"] == required
    assert short.citation.label == f"{LOL}第十四条"
    assert rules.extraordinary_proposal(CHONGQING, proposers=11, total=60).citation.label == f"{CQ}第八条"


# --- LOL 第十八条, 第七十条: offices and their seats ----------------------------------------------------


def test_office_seats_chair_one_vice_chairs_two_lol_18():
    assert rules.office_seats(NATIONAL, subject="副主席", office="vice_chair", seats=2).ok is True
    three = rules.office_seats(NATIONAL, subject="副主席", office="vice_chair", seats=3)
    assert three.ok is False and three.citation.label == f"{LOL}第十八条" and "2" in three.message
    assert rules.office_seats(NATIONAL, subject="副主席", office="vice_chair", seats=1, incumbents=1).ok is True
    assert rules.office_seats(NATIONAL, subject="副主席", office="vice_chair", seats=2, incumbents=1).ok is False
    assert rules.office_seats(NATIONAL, subject="主席", office="chair", seats=1).ok is True
    assert rules.office_seats(NATIONAL, subject="主席", office="chair", seats=2).ok is False
    assert rules.office_seats(NATIONAL, subject="镇长", office="head", seats=1).ok is True
    head = rules.office_seats(NATIONAL, subject="镇长", office="head", seats=2)
    assert head.ok is False and head.citation.label == f"{LOL}第七十条"
    assert rules.office_seats(NATIONAL, subject="副镇长", office="deputy_head", seats=5) is None
    assert rules.office_seats(SHANDONG, subject="副主席", office="vice_chair", seats=3).citation.label == \
        "《山东省乡镇人民代表大会工作若干规定》第五条"


# --- presidium: size, posts, chairs ---------------------------------------------------------------


@pytest.mark.parametrize(("profile", "low", "high", "large", "kwargs_large", "kwargs_small"), [
    ("chongqing", 7, 11, 13, {"population": 90000}, {"population": 89999}),
    ("shandong", 7, 11, 13, {"deputies": 90}, {"deputies": 89}),
    ("zhejiang", 7, 13, 17, {"large": True}, {"large": False}),
    ("henan", 7, 13, 15, {"large": True}, {"large": False}),
])
def test_presidium_size_per_province(profile, low, high, large, kwargs_large, kwargs_small):
    """CQ 第三十条, SD 第八条, ZJ 第八条, HN 第二条: both ends of the range, and the larger cap's condition."""
    p = PROFILES[profile]

    def size(members, **kw):
        args = {"population": None, "deputies": 60, "large": False, **kw}
        return rules.presidium_size(p, members=members, **args)

    assert size(low).ok and size(high).ok
    assert not size(low - 1).ok and not size(high + 1).ok
    assert size(large, **kwargs_large).ok and not size(large + 1, **kwargs_large).ok
    assert not size(high + 1, **kwargs_small).ok
    assert size(low - 1).citation.file == p.rule("presidium_size").citation.file
    assert rules.presidium_size(NATIONAL, members=3, population=None, deputies=60) is None  # LOL sets no size


def test_chongqing_five_member_presidium_refused_and_population_asked_for():
    five = rules.presidium_size(CHONGQING, members=5, population=None, deputies=60)
    assert five.ok is False and five.citation.label == f"{CQ}第三十条"
    twelve = rules.presidium_size(CHONGQING, members=12, population=None, deputies=60)
    assert twelve.ok is False and "term.population" in twelve.message


def test_presidium_member_holding_government_post_refused():
    holders = {"周建国": "镇长"}
    for name, article in (("chongqing", "第三十条"), ("zhejiang", "第三十八条"), ("henan", "第二条")):
        check = rules.not_in_government(PROFILES[name], "presidium_incompatible", holders=holders)
        assert check.ok is False and check.citation.article == article and "周建国（镇长）" in check.message
        assert rules.not_in_government(PROFILES[name], "presidium_incompatible", holders={}).ok is True
    # LOL and Shandong bar the 主席 and 副主席 only
    assert rules.not_in_government(NATIONAL, "presidium_incompatible", holders=holders) is None
    assert rules.not_in_government(SHANDONG, "presidium_incompatible", holders=holders) is None


def test_executive_chairs_are_presidium_members_sd_9():
    assert rules.executive_chairs(SHANDONG, chairs=["QS001"], presidium=["QS001", "QS002"]).ok is True
    outside = rules.executive_chairs(SHANDONG, chairs=["QS001", "QS009"], presidium=["QS001", "QS002"])
    assert outside.ok is False and "QS009" in outside.message
    assert rules.executive_chairs(ZHEJIANG, chairs=["QS009"], presidium=["QS001"]) is None


# --- DL 第六十二条, LOL 第二十二、二十六条: deputies whose mandate ended ---------------------------------------


def test_sponsors_whose_mandate_ended_do_not_count_dl_62():
    """Four standing deputies and one whose mandate ended are four: the message says why the fifth is missing."""
    check = rules.sponsors_enough(NATIONAL, "motion_sponsors", subject="议案", count=4, ended=["QS060"])
    assert check.ok is False and "QS060" in check.message and "《代表法》第六十二条" in check.message
    assert rules.sponsors_enough(NATIONAL, "motion_sponsors", subject="议案", count=5, ended=["QS060"]).ok


def _nom(name, by="presidium", nominators=()):
    return rules.Nomination(name, by, tuple(nominators))


TEN = [f"QS{i:03d}" for i in range(1, 11)]
ACTIVE = {f"QS{i:03d}" for i in range(1, 61)} - {"QS010"}  # QS010's mandate has ended


def test_joint_nomination_counts_only_standing_deputies_lol_26():
    """Nine standing deputies plus one whose 状态 is 终止 are nine (the issue's reproduction)."""
    failed = rules.nominations(NATIONAL, subject="镇长", seats=1, active=ACTIVE,
                               nominees=[_nom("甲", "deputies", TEN)])
    ((index, check),) = failed
    assert index == 0 and check.rule == "nomination_deputies" and "9" in check.message and "QS010" in check.message
    eleven = [*TEN, "QS011"]
    assert rules.nominations(NATIONAL, subject="镇长", seats=1, active=ACTIVE,
                             nominees=[_nom("甲", "deputies", eleven)]) == []


def test_presidium_nominates_no_more_than_seats_lol_26():
    """Two presidium nominees for one 镇长 seat are refused; one each for two 副镇长 seats are not."""
    ((index, check),) = rules.nominations(NATIONAL, subject="镇长", seats=1, active=ACTIVE,
                                          nominees=[_nom("甲"), _nom("乙")])
    assert index is None and check.rule == "nomination_limit" and check.citation.label == f"{LOL}第二十六条"
    assert rules.nominations(NATIONAL, subject="副镇长", seats=2, active=ACTIVE,
                             nominees=[_nom("甲"), _nom("乙")]) == []


def test_deputy_joins_no_more_nominations_than_seats_lol_26():
    others = [f"QS{i:03d}" for i in range(20, 30)]
    two = [_nom("甲", "deputies", [*others]), _nom("乙", "deputies", [others[0], *TEN[:9]])]
    ((index, check),) = rules.nominations(NATIONAL, subject="副主席", seats=1, active=ACTIVE, nominees=two)
    assert index is None and others[0] in check.message and check.rule == "nomination_limit"
    assert rules.nominations(NATIONAL, subject="副镇长", seats=2, active=ACTIVE, nominees=two) == []


# --- LOL 第二十条, EL 第四十七条, LOL 第三十七条: the first session of a term --------------------------------


def test_first_session_within_two_months_lol_20():
    """Two months from 2026-10-15 end on 2026-12-15: that day is in time, the next is late; the election's
    own day is too early."""
    def timing(opening, election=date(2026, 10, 15)):
        return rules.first_session_timing(NATIONAL, election_date=election, opening_date=opening,
                                          is_rest_day=never_rest)

    assert timing(date(2026, 12, 15)).ok is True
    late = timing(date(2026, 12, 16))
    assert late.ok is False and late.citation.label == f"{LOL}第二十条" and "2026-12-15" in late.message
    assert timing(date(2026, 10, 16)).ok is True and timing(date(2026, 10, 15)).ok is False
    # no corresponding day: the month's last (民法典 第二百零二条)
    assert timing(date(2027, 2, 28), election=date(2026, 12, 31)).ok is True
    assert timing(date(2027, 3, 1), election=date(2026, 12, 31)).ok is False
    assert rules.first_session_timing(CHONGQING, election_date=date(2026, 10, 15), opening_date=date(2026, 12, 16),
                                      is_rest_day=never_rest).citation.label == f"{CQ}第九条"


def test_first_session_deadline_moves_past_a_holiday_cc_203():
    """Two months from 2026-08-01 end on 2026-10-01, National Day: the period ends after the holiday."""
    due = rules.first_session_due(NATIONAL, date(2026, 8, 1), is_rest_day)
    assert due.last_day == date(2026, 10, 1) and due.due > date(2026, 10, 1) and due.extended


def test_credentials_confirmed_before_the_first_session_el_47():
    def check(report, confirmed, opening=date(2026, 12, 29)):
        return rules.credentials_timing(NATIONAL, election_date=date(2026, 11, 18), report_date=report,
                                        confirmed_on=confirmed, opening_date=opening)

    assert check(date(2026, 11, 25), date(2026, 12, 28)).ok is True
    same_day = check(date(2026, 11, 25), date(2026, 12, 29))
    assert same_day.ok is False and same_day.citation.label == "《选举法》第四十七条"
    assert check(date(2026, 11, 17), date(2026, 12, 2)).ok is False  # a report before the election
    assert check(date(2026, 12, 3), date(2026, 12, 2)).ok is False  # confirmed before the report


def test_credentials_committee_national_and_chongqing():
    presidium = ["QS001", "QS027", "QS038"]
    assert rules.credentials_committee(NATIONAL, chair="QS027", vice_chairs=[], members=["QS005"],
                                       presidium=presidium).ok is True
    assert rules.credentials_committee(NATIONAL, chair="QS027", vice_chairs=[], members=[],
                                       presidium=presidium).ok is False
    assert rules.credentials_committee(NATIONAL, chair=None, vice_chairs=[], members=["QS005"],
                                       presidium=presidium).ok is False

    def cq(members, vice=("QS038",), chair="QS027"):
        return rules.credentials_committee(CHONGQING, chair=chair, vice_chairs=list(vice), members=members,
                                           presidium=presidium)

    three, five = ["QS005", "QS018", "QS033"], ["QS005", "QS018", "QS033", "QS040", "QS041"]
    assert cq(three).ok and cq(five).ok
    assert not cq(three[:2]).ok and not cq([*five, "QS042"]).ok
    assert not cq(three, vice=()).ok and not cq(three, vice=("QS038", "QS001")).ok
    outside = cq(three, chair="QS005")
    assert outside.ok is False and "QS005" in outside.message and outside.citation.label == f"{CQ}第二十条"


def test_nomination_period_boundary():
    vote = datetime(2026, 12, 30, 9, 0)
    assert rules.nomination_period(NATIONAL, subject="镇长", deadline=datetime(2026, 12, 29, 9, 0), vote=vote).ok
    short = rules.nomination_period(NATIONAL, subject="镇长", deadline=datetime(2026, 12, 29, 9, 1), vote=vote)
    assert short.ok is False and "24" in short.message


# --- EL 第十二条: the number of deputies ------------------------------------------------------------------


def test_deputy_quota_election_law_12():
    def quota(deputies, population=None, fixed=None, extra=False):
        return rules.deputy_quota(NATIONAL, deputies=deputies, population=population, quota=fixed, extra=extra)

    assert quota(160).ok and not quota(161).ok  # no population: the 160 cap
    assert quota(69, population=36000).ok and not quota(70, population=36000).ok  # 45 + 36000 / 1500
    assert quota(69, population=36000 + 1499).ok and not quota(70, population=36000 + 1499).ok
    assert quota(70, population=37500).ok
    assert quota(160, population=10**6).ok and not quota(161, population=10**6).ok
    assert quota(168, extra=True).ok and not quota(169, extra=True).ok  # 另加百分之五
    assert quota(60, population=36000, fixed=60).ok and not quota(61, population=36000, fixed=60).ok
    over = quota(60, population=36000, fixed=70)
    assert over.ok is False and "70" in over.message and over.citation.label == "《选举法》第十二条"


# --- LOL 第二十七至二十九条: deciding an election from its rounds ------------------------------------------


def _spec(office="vice_chair", seats=1, extra=1, nominees=("甲", "乙", "丙"), kind="general", eligible=None):
    return ElectionSpec(title="副主席", office=office, kind=kind, seats=seats, extra_candidates=extra,
                        candidates=len(nominees), nominees=tuple(nominees),
                        eligible=frozenset(eligible) if eligible is not None else None)


def _round(number, kind, votes, write_ins=None, issued=56):
    return RoundData(number, kind, issued, issued, 0, votes, write_ins or {})


def test_principal_with_more_nominees_goes_through_preliminary_lol_27():
    """Three nominees for one 镇长 seat (presidium plus joint nominations): a 预选 fixes two formal candidates."""
    check = rules.candidate_count(NATIONAL, subject="镇长", office="head", kind="general", seats=1, candidates=3,
                                  extra_candidates=1)
    assert check.ok and check.detail == {"preliminary": True, "formal": 2}
    assert rules.candidate_count(NATIONAL, subject="镇长", office="head", kind="general", seats=1, candidates=2,
                                 extra_candidates=1).detail["preliminary"] is False


def test_candidate_dropped_in_preliminary_cannot_be_on_the_formal_ballot_lol_27():
    """The issue's reproduction: 丙, not made a formal candidate, is listed in the formal round and 'elected'."""
    spec = _spec()
    pre = _round(1, "preliminary", {"甲": 30, "乙": 20, "丙": 6})
    bad = elections.decide(NATIONAL, spec, [pre, _round(2, "formal", {"甲": 10, "丙": 40})], total=60)
    assert bad.elected == [] and bad.status == "pending" and bad.listed == ["甲", "乙"]
    assert bad.violation is not None and bad.violation.rule == "preliminary_list"
    assert "丙" in bad.violation.message and bad.violation.citation.label == f"{LOL}第二十七条"
    problems = elections.election_problems(NATIONAL, spec, [pre, _round(2, "formal", {"甲": 10, "丙": 40})],
                                           total=60, present=56)
    assert any(number == 2 and code == "rule" for number, code, _ in problems)
    good = elections.decide(NATIONAL, spec, [pre, _round(2, "formal", {"甲": 40, "乙": 15})], total=60)
    assert good.elected == ["甲"] and good.violation is None and good.status == "decided"
    # a preliminary vote is among the nominees: no write-ins
    assert elections.decide(NATIONAL, spec, [_round(1, "preliminary", {"甲": 30, "乙": 20}, {"丁": 3})],
                            total=60).violation is not None


def test_write_in_of_a_deputy_counts_in_the_formal_round_lol_28():
    """丙, dropped in the preliminary vote, written in by 35 deputies: a valid 另选他人 of a deputy who is elected."""
    spec = _spec(eligible={"甲", "乙", "丙", "丁"})
    rounds = [_round(1, "preliminary", {"甲": 30, "乙": 20, "丙": 6}),
              _round(2, "formal", {"甲": 10, "乙": 11}, {"丙": 35})]
    decision = elections.decide(NATIONAL, spec, rounds, total=60)
    assert decision.elected == ["丙"] and decision.violation is None


def test_write_in_for_chair_must_be_a_deputy_lol_18():
    """A write-in for 主席 who is not a deputy gets votes but cannot be elected (LOL 第十八条)."""
    spec = _spec(office="chair", extra=0, nominees=("甲",), eligible={"甲", "乙"})
    decision = elections.decide(NATIONAL, spec, [_round(1, "formal", {"甲": 20}, {"外人": 40})], total=60)
    assert decision.elected == [] and decision.status == "pending"
    assert "第十八条" in decision.rounds[0].reasons["外人"]
    deputy = elections.decide(NATIONAL, spec, [_round(1, "formal", {"甲": 20}, {"乙": 40})], total=60)
    assert deputy.elected == ["乙"]
    # a 镇长 may be any voter (第二十八条): no eligibility list
    head = _spec(office="head", extra=0, nominees=("甲",))
    assert elections.decide(NATIONAL, head, [_round(1, "formal", {"甲": 20}, {"外人": 40})],
                            total=60).elected == ["外人"]


def test_additional_election_for_vice_post_is_again_contested_lol_29():
    """Two 副镇长 seats, one filled: another election for one seat with one candidate is refused; two elect."""
    spec = _spec(office="deputy_head", seats=2, extra=1, nominees=("甲", "乙", "丙"))
    first = _round(1, "formal", {"甲": 40, "乙": 25, "丙": 20})
    one = elections.decide(NATIONAL, spec, [first, _round(2, "additional", {"乙": 40})], total=60)
    assert one.violation is not None and one.violation.rule == "additional_candidates"
    assert one.elected == ["甲"] and one.rounds[1].seats == 1
    two = elections.decide(NATIONAL, spec, [first, _round(2, "additional", {"乙": 40, "丙": 15})], total=60)
    assert two.elected == ["甲", "乙"] and two.violation is None and two.rounds[1].seats == 1
    # the first vote's ranking includes write-ins: five of them for the one seat left is more than three extra
    first5 = _round(1, "formal", {"甲": 40, "乙": 25, "丙": 20}, {"丁": 3, "戊": 2, "己": 1})
    too_many = elections.decide(NATIONAL, spec, [first5, _round(2, "additional", dict.fromkeys("乙丙丁戊己", 5))],
                                total=60)
    assert too_many.violation is not None and too_many.violation.rule == "additional_candidates"
    four = elections.decide(NATIONAL, spec, [first5, _round(2, "additional", {"乙": 40, "丙": 5, "丁": 5, "戊": 5})],
                            total=60)
    assert four.violation is None and four.elected == ["甲", "乙"]
    # a by-election may be uncontested again (第三十条)
    by = _spec(office="vice_chair", seats=1, extra=1, nominees=("甲", "乙"), kind="by_election")
    assert elections.decide(NATIONAL, by, [_round(1, "formal", {"甲": 28, "乙": 28}),
                                           _round(2, "additional", {"甲": 35})], total=60).elected == ["甲"]


def test_additional_round_counts_overmarking_against_seats_left_lol_29():
    """After one of two seats is filled, the additional round's marks cannot exceed valid ballots × 1."""
    spec = _spec(office="deputy_head", seats=2, extra=1, nominees=("甲", "乙", "丙"))
    first = _round(1, "formal", {"甲": 40, "乙": 25, "丙": 20})
    over = _round(2, "additional", {"乙": 40, "丙": 30})  # 70 marks on 56 ballots for one seat
    codes = [(n, code) for n, code, _ in elections.election_problems(NATIONAL, spec, [first, over], total=60,
                                                                     present=56)]
    assert (2, "votes_over") in codes
    fits = _round(2, "additional", {"乙": 40, "丙": 16})
    assert elections.election_problems(NATIONAL, spec, [first, fits], total=60, present=56) == []


# --- the session file: refused at load, with the rule and its article ----------------------------------


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    return folder / "session.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusals(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_session_file(path)
    return [f"{p.field} {p.problem}" for p in info.value.problems]


def test_the_sample_is_lawful(sample):
    assert load_session_file(sample).elections[0].candidates[1].nominated_by == "deputies"


def test_chair_candidate_not_on_roster_refused_lol_18(sample):
    edit(sample, "{name: 陈晓梅, code: QS004,", "{name: 张三,")
    (problem,) = refusals(sample)
    assert problem.startswith("elections.0.candidates ") and "张三" in problem and "第十一条" in problem  # ZJ 第十一条


def test_chair_candidate_holding_government_post_refused_lol_18(sample):
    # 李文斌 (QS037) is a deputy and the 副镇长: he may not be a 副主席 candidate while he holds the post
    edit(sample, "{name: 陈晓梅, code: QS004,", "{name: 李文斌, code: QS037,")
    (problem,) = refusals(sample)
    assert "李文斌（副镇长）" in problem and f"{LOL}第十八条" in problem


def test_sitting_chair_must_be_on_the_presidium_lol_19(sample):
    edit(sample, "  - {name: 孙海燕, title: 财政所所长}", "  - {name: 孙海燕, title: 财政所所长}\n  - {name: 王建华, title: 镇人大主席}")
    assert load_session_file(sample)  # 王建华 (QS001) is on the draft presidium
    edit(sample, "presidium: [QS001, QS002,", "presidium: [QS003, QS002,")
    problems = refusals(sample)
    assert any("王建华" in p and "第十一条" in p for p in problems)  # ZJ 第十一条: 主席、副主席为主席团成员


def test_presidium_member_whose_mandate_ended_refused_dl_62(sample):
    roster = sample.parent / "roster.csv"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("职务\n", "职务,状态\n", 1).replace("\n", ",在任\n").replace("职务,状态,在任\n",
                                                                                          "职务,状态\n")
                      .replace("QS056,谭秀兰,女,第五代表小组,第七选区", "QS056,谭秀兰,女,第五代表小组,第七选区"), encoding="utf-8")
    lines = roster.read_text(encoding="utf-8").splitlines()
    lines = [line[: -len("在任")] + "终止" if line.startswith("QS056,") else line for line in lines]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = refusals(sample)
    assert any(p.startswith("session.presidium ") and "QS056" in p and "《代表法》第六十二条" in p for p in problems)


def test_three_vice_chairs_refused_lol_18(sample):
    edit(sample, "kind: by_election\n    seats: 1", "kind: by_election\n    seats: 3")
    problems = refusals(sample)
    assert any(p.startswith("elections.0.seats ") and "第十一条" in p for p in problems)


def test_two_presidium_nominees_for_one_seat_refused_lol_26(sample):
    edit(sample, "nominated_by: deputies,\n         nominators: [QS015, QS016, QS017, QS018, QS019, QS020, QS021, "
                 "QS022, QS023, QS024]}", "nominated_by: presidium}")
    (problem,) = refusals(sample)
    assert problem.startswith("elections.0.candidates ") and f"{LOL}第二十六条" in problem


def test_presidium_with_the_head_refused_zj_38(sample):
    edit(sample, "presidium: [QS001, QS002, QS009,", "presidium: [QS001, QS002, QS003,")
    (problem,) = refusals(sample)
    assert "周建国（镇长）" in problem and f"{ZJ}第三十八条" in problem


def test_roster_over_the_deputy_quota_refused_el_12(sample):
    edit(sample, "deputy_quota: 60 ", "deputy_quota: 59 ")
    (problem,) = refusals(sample)
    assert problem.startswith("term.deputy_quota ") and "《选举法》第十二条" in problem


def test_extraordinary_session_proposed_by_too_few_refused_lol_14(sample):
    edit(sample, "kind: regular", "kind: extraordinary")
    edit(sample, "  presidium: [QS001,", "  proposers: [QS001, QS002, QS003, QS004, QS005, QS006, QS007, QS008, "
                                         "QS009, QS010, QS011]\n  presidium: [QS001,")
    (problem,) = refusals(sample)
    assert problem.startswith("session.proposers ") and "12" in problem
    edit(sample, "QS010, QS011]", "QS010, QS011, QS012]")
    assert load_session_file(sample).session["proposers"][-1] == "QS012"


def test_the_next_ballot_is_known_while_the_election_waits_lol_27_29():
    """What the open gate needs next: the formal list after a 预选, the tied, another election's candidates by the
    first vote's ranking with the seats left."""
    spec = _spec()
    after_pre = elections.decide(NATIONAL, spec, [_round(1, "preliminary", {"甲": 30, "乙": 20, "丙": 6})], total=60)
    assert after_pre.next_round == {"kind": "formal", "candidates": ["甲", "乙"], "seats": 1}
    tie = elections.decide(NATIONAL, _spec(nominees=("甲", "乙")), [_round(1, "formal", {"甲": 35, "乙": 35})],
                           total=60)
    assert tie.next_round == {"kind": "revote", "candidates": ["甲", "乙"], "seats": 1}
    two = _spec(office="deputy_head", seats=2, extra=1, nominees=("甲", "乙", "丙"))
    left = elections.decide(NATIONAL, two, [_round(1, "formal", {"甲": 40, "乙": 25, "丙": 20})], total=60)
    assert left.next_round == {"kind": "additional", "candidates": ["乙", "丙"], "seats": 1}
    done = elections.decide(NATIONAL, two, [_round(1, "formal", {"甲": 40, "乙": 35, "丙": 2})], total=60)
    assert done.next_round is None and done.status == "decided"

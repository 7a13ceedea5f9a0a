"""Fast tier: the law's thresholds in congress/rules.py, each on the boundary its article implies.

Pure functions over the province profiles in config/profiles/; no database, no Prefect.
Article references: LOL = local-organic-law-2022.md, EL = election-law-2020.md,
DL = deputies-law-2025.md, ZJ/CQ/SD = the Zhejiang/Chongqing/Shandong township regulations,
CC = civil-code-periods.md (民法典).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from congress import rules
from congress.holidays import is_rest_day
from congress.profiles import Citation, load_profile

NATIONAL = load_profile("national")
ZHEJIANG = load_profile("zhejiang")
CHONGQING = load_profile("chongqing")
SHANDONG = load_profile("shandong")

LOL = "《地方组织法》"
ZJ = "《浙江省乡镇人民代表大会工作条例》"
CQ = "《重庆市乡镇人民代表大会工作条例》"
CC_CITATION = Citation("civil-code-periods.md", "第二百零三条")


def never_rest(_: date) -> bool:
    return False


def assert_blocked_names_rule(check: rules.Check, title: str, label: str) -> None:
    """A failed check's blocked message names the rule title and the article label; require() raises it."""
    assert check.ok is False
    assert check.title == title
    assert check.citation.label == label
    text = check.blocked_message()
    assert title in text and label in text, text
    assert check.message and check.message in text
    with pytest.raises(rules.RuleViolation) as info:
        rules.require(check)
    assert info.value.check is check
    assert str(info.value) == text


# --- quorum: LOL 第十四条 (≥ 2/3 of ALL deputies) ---------------------------------------------


@pytest.mark.parametrize(("total", "required"), [(60, 40), (61, 41), (45, 30), (12, 8), (3, 2), (159, 106)])
def test_quorum_required_is_two_thirds_of_all_rounded_up_lol_14(total, required):
    """LOL 第十四条: 三分之二以上的代表出席 — 2/3 of 61 is 40.67, so 41 are needed."""
    assert rules.quorum_required(NATIONAL, total) == required
    assert rules.quorum(NATIONAL, total=total, present=required).ok is True
    assert rules.quorum(NATIONAL, total=total, present=required - 1).ok is False


def test_quorum_40_of_60_opens_lol_14():
    check = rules.quorum(NATIONAL, total=60, present=40)
    assert check.ok is True
    assert check.rule == "quorum"
    assert str(check.citation) == "local-organic-law-2022.md 第十四条"
    assert check.detail == {"total": 60, "present": 40, "required": 40}
    assert "40" in check.message and "60" in check.message


def test_quorum_39_of_60_does_not_open_lol_14():
    check = rules.quorum(NATIONAL, total=60, present=39)
    assert check.ok is False
    assert check.detail["required"] == 40
    assert "39" in check.message and "40" in check.message
    assert_blocked_names_rule(check, "出席法定人数", f"{LOL}第十四条")


def test_quorum_chongqing_cites_its_own_article_cq_10():
    """CQ 第十条 restates the 2/3 quorum; the check cites it."""
    check = rules.quorum(CHONGQING, total=60, present=39)
    assert check.ok is False
    assert check.citation.label == f"{CQ}第十条"
    assert rules.quorum(CHONGQING, total=60, present=40).ok is True


# --- majority: LOL 第二十五条 (> 1/2 of ALL deputies, not of those present) --------------------


@pytest.mark.parametrize(("total", "required"), [(60, 31), (61, 31), (45, 23), (12, 7), (1, 1), (2, 2)])
def test_majority_required_is_more_than_half_of_all_lol_25(total, required):
    assert rules.majority_required(NATIONAL, total) == required


def test_majority_31_of_60_passes_lol_25():
    check = rules.vote_passes(NATIONAL, subject="关于政府工作报告的决议", total=60, yes=31)
    assert check.ok is True
    assert check.detail == {"total": 60, "yes": 31, "required": 31}
    assert str(check.citation) == "local-organic-law-2022.md 第二十五条"


def test_majority_30_of_60_fails_even_if_all_present_voted_yes_lol_25():
    """LOL 第二十五条: 以全体代表的过半数通过 — 30 yes of 40 present is 75 % of those present, still not passed."""
    check = rules.vote_passes(NATIONAL, subject="关于预算的决议", total=60, yes=30)
    assert check.ok is False
    assert check.detail["required"] == 31
    assert "30" in check.message and "31" in check.message and "关于预算的决议" in check.message
    assert_blocked_names_rule(check, "全体代表过半数通过", f"{LOL}第二十五条")


def test_majority_61_deputies_needs_31_lol_25():
    assert rules.vote_passes(NATIONAL, subject="x", total=61, yes=31).ok is True
    assert rules.vote_passes(NATIONAL, subject="x", total=61, yes=30).ok is False


def test_majority_zhejiang_cites_zj_22():
    check = rules.vote_passes(ZHEJIANG, subject="x", total=60, yes=30)
    assert check.ok is False
    assert_blocked_names_rule(check, "全体代表过半数通过", f"{ZJ}第二十二条")


def test_tally_fits_roster_and_present():
    ok = rules.tally_fits(NATIONAL, subject="议程", total=12, present=11, yes=10, no=0, abstain=1)
    assert ok.ok is True
    over_roster = rules.tally_fits(NATIONAL, subject="预算", total=12, present=11, yes=10, no=2, abstain=1)
    assert over_roster.ok is False
    assert "13" in over_roster.message and "12" in over_roster.message
    over_present = rules.tally_fits(NATIONAL, subject="预算", total=12, present=11, yes=10, no=2, abstain=0)
    assert over_present.ok is False
    assert "12" in over_present.message and "11" in over_present.message and "出席" in over_present.message
    # attendance not recorded yet: only the roster bound applies
    assert rules.tally_fits(NATIONAL, subject="x", total=12, present=None, yes=10, no=2, abstain=0).ok is True


# --- notice period: ZJ 第二十条 (7 d / 1 d), CQ 第十一条 (10 d), extraordinary exempt -------------

OPENING = date(2026, 12, 22)


def _notice(profile, notice_before: int, materials_before: int = 1, kind: str = "regular"):
    return rules.notice_timing(
        profile, kind=kind, notice_date=OPENING - timedelta(days=notice_before),
        materials_date=OPENING - timedelta(days=materials_before), opening_date=OPENING,
    )


def test_notice_zhejiang_seven_days_before_is_in_time_zj_20():
    notice, materials = _notice(ZHEJIANG, 7)
    assert (notice.rule, notice.ok) == ("notice_days", True)
    assert notice.detail["latest"] == "2026-12-15"
    assert (materials.rule, materials.ok) == ("materials_days", True)
    assert str(notice.citation) == "zhejiang-township-congress-2016.md 第二十条"


def test_notice_zhejiang_six_days_before_is_late_zj_20():
    notice, materials = _notice(ZHEJIANG, 6)
    assert notice.ok is False
    assert materials.ok is True
    assert notice.detail == {"days": 7, "latest": "2026-12-15", "field": "notice_date"}
    assert "2026-12-16" in notice.message and "2026-12-15" in notice.message
    assert_blocked_names_rule(notice, "会议通知期限", f"{ZJ}第二十条")


def test_notice_chongqing_ten_days_cq_11():
    notice, _ = _notice(CHONGQING, 10)
    assert notice.ok is True
    late, _ = _notice(CHONGQING, 9)
    assert late.ok is False
    assert late.detail["days"] == 10
    assert_blocked_names_rule(late, "会议通知期限", f"{CQ}第十一条")


def test_notice_national_baseline_seven_days_is_practice_lol_14():
    assert _notice(NATIONAL, 7)[0].ok is True
    late = _notice(NATIONAL, 6)[0]
    assert late.ok is False
    assert NATIONAL.rule("notice_days").basis == "practice"
    assert_blocked_names_rule(late, "会议通知期限", f"{LOL}第十四条")


def test_materials_one_day_before_ok_same_day_fails_zj_20():
    assert _notice(ZHEJIANG, 14, materials_before=1)[1].ok is True
    materials = _notice(ZHEJIANG, 14, materials_before=0)[1]
    assert materials.ok is False
    assert materials.detail == {"days": 1, "latest": "2026-12-21", "field": "materials_date"}
    assert_blocked_names_rule(materials, "会议材料送达期限", f"{ZJ}第二十条")


def test_extraordinary_session_exempt_from_notice_period_zj_20():
    """ZJ 第二十条: 临时举行的乡镇人民代表大会会议，不受上述时间规定限制."""
    checks = _notice(ZHEJIANG, 0, materials_before=0, kind="extraordinary")
    assert len(checks) == 1
    assert checks[0].ok is True
    assert checks[0].rule == "notice_exempt_extraordinary"
    assert checks[0].citation.label == f"{ZJ}第二十条"


def test_first_session_of_term_is_not_exempt():
    notice, _ = _notice(ZHEJIANG, 3, kind="first_of_term")
    assert notice.ok is False


# --- motions, inquiries, nominations: LOL 第二十二条, 第二十四条, 第二十六条 ------------------------


@pytest.mark.parametrize(
    ("rule", "required", "title", "label"),
    [
        ("motion_sponsors", 5, "代表联名提出议案人数", f"{LOL}第二十二条"),
        ("inquiry_sponsors", 10, "代表联名提出质询案人数", f"{LOL}第二十四条"),
        ("nomination_deputies", 10, "代表联名提名候选人人数", f"{LOL}第二十六条"),
    ],
)
def test_joint_sponsors_boundary(rule, required, title, label):
    """LOL 第二十二条 (议案 ≥ 5), 第二十四条 (质询 ≥ 10), 第二十六条 (提名 ≥ 10)."""
    ok = rules.sponsors_enough(NATIONAL, rule, subject="某事项", count=required)
    assert ok.ok is True
    assert ok.detail == {"count": required, "required": required}
    short = rules.sponsors_enough(NATIONAL, rule, subject="某事项", count=required - 1)
    assert short.ok is False
    assert str(required - 1) in short.message and str(required) in short.message
    assert_blocked_names_rule(short, title, label)


def test_motion_four_sponsors_fail_five_pass_lol_22():
    assert rules.sponsors_enough(NATIONAL, "motion_sponsors", subject="议案", count=4).ok is False
    assert rules.sponsors_enough(NATIONAL, "motion_sponsors", subject="议案", count=5).ok is True


def test_nomination_message_says_nominated_by_deputies_lol_26():
    check = rules.sponsors_enough(NATIONAL, "nomination_deputies", subject="副主席", count=9)
    assert "提名" in check.message


def test_shandong_motion_sponsors_cite_sd_14():
    check = rules.sponsors_enough(SHANDONG, "motion_sponsors", subject="议案", count=4)
    assert check.ok is False
    assert check.citation.label == "《山东省乡镇人民代表大会工作若干规定》第十四条"


# --- candidates: LOL 第二十七条 (差额), 第三十条 (补选) -----------------------------------------


def _cands(profile=NATIONAL, *, office="chair", kind="general", seats=1, candidates=2, extra=1):
    return rules.candidate_count(
        profile, subject="青山镇人民代表大会主席", office=office, kind=kind, seats=seats,
        candidates=candidates, extra_candidates=extra,
    )


@pytest.mark.parametrize("office", ["chair", "head"])
def test_principal_one_more_than_seats_ok_lol_27(office):
    check = _cands(office=office, seats=1, candidates=2)
    assert check.ok is True
    assert check.rule == "principal_candidates"
    assert check.detail == {"preliminary": False, "formal": 2}


@pytest.mark.parametrize("office", ["chair", "head"])
def test_principal_single_nominee_may_be_equal_lol_27(office):
    """LOL 第二十七条: 如果提名的候选人只有一人，也可以等额选举."""
    assert _cands(office=office, seats=1, candidates=1).ok is True


@pytest.mark.parametrize("office", ["chair", "head"])
def test_principal_more_nominees_than_the_list_go_to_preliminary_lol_27(office):
    """LOL 第二十七条: nominees beyond seats + 1 (presidium and joint nominations together) → a 预选 to two."""
    check = _cands(office=office, seats=1, candidates=3)
    assert check.ok is True and check.rule == "principal_candidates"
    assert check.detail == {"preliminary": True, "formal": 2}
    assert "3" in check.message and "预选" in check.message


def test_principal_equal_with_two_seats_fails_lol_27():
    """Only a single nominee excuses an equal-number election; 2 candidates for 2 seats does not."""
    check = _cands(office="chair", seats=2, candidates=2)
    assert check.ok is False
    assert _cands(office="chair", seats=2, candidates=3).ok is True


def test_principal_chongqing_cites_cq_23():
    check = _cands(CHONGQING, office="head", seats=2, candidates=2)
    assert_blocked_names_rule(check, "主席、乡镇长候选人差额", f"{CQ}第二十三条")


@pytest.mark.parametrize("office", ["vice_chair", "deputy_head"])
@pytest.mark.parametrize(("seats", "extra"), [(1, 1), (1, 3), (2, 2), (2, 1)])
def test_vice_exactly_seats_plus_extra_is_formal_lol_27(office, seats, extra):
    check = _cands(office=office, seats=seats, candidates=seats + extra, extra=extra)
    assert check.ok is True
    assert check.message == ""
    assert check.detail == {"preliminary": False, "formal": seats + extra}


@pytest.mark.parametrize("office", ["vice_chair", "deputy_head"])
def test_vice_fewer_than_seats_plus_extra_fails_lol_27(office):
    check = _cands(office=office, seats=2, candidates=3, extra=2)
    assert check.detail["formal"] == 4
    assert "3" in check.message and "2" in check.message
    assert_blocked_names_rule(check, "副主席、副乡镇长候选人差额", f"{LOL}第二十七条")


def test_vice_one_candidate_for_one_seat_fails_in_general_election_lol_27():
    check = _cands(office="vice_chair", seats=1, candidates=1, extra=1)
    assert check.ok is False


def test_vice_more_than_formal_needs_preliminary_lol_27():
    """LOL 第二十七条: 提名的候选人数超过选举办法规定的差额数的，进行预选."""
    check = _cands(office="deputy_head", seats=2, candidates=6, extra=2)
    assert check.ok is True
    assert check.detail == {"preliminary": True, "formal": 4}
    assert "预选" in check.message and "6" in check.message and "4" in check.message


@pytest.mark.parametrize("extra", [0, 4, -1])
def test_vice_extra_outside_one_to_three_rejected_lol_27(extra):
    check = _cands(office="vice_chair", seats=1, candidates=1 + extra, extra=extra)
    assert check.detail["preliminary"] is False
    assert str(extra) in check.message
    assert_blocked_names_rule(check, "副主席、副乡镇长候选人差额", f"{LOL}第二十七条")


@pytest.mark.parametrize("office", ["chair", "vice_chair", "head", "deputy_head"])
def test_by_election_equal_number_allowed_lol_30(office):
    """LOL 第三十条: 补选时，候选人数可以多于应选人数，也可以同应选人数相等."""
    equal = _cands(office=office, kind="by_election", seats=1, candidates=1)
    assert equal.ok is True
    assert equal.rule == "by_election_candidates"
    assert _cands(office=office, kind="by_election", seats=1, candidates=3).ok is True


def test_by_election_fewer_than_seats_fails_lol_30():
    check = _cands(office="vice_chair", kind="by_election", seats=2, candidates=1)
    assert "2" in check.message and "1" in check.message
    assert_blocked_names_rule(check, "补选候选人人数", f"{LOL}第三十条")


# --- ballots: EL 第四十四条, CQ 第二十四条 -------------------------------------------------------


def test_ballots_returned_more_than_issued_invalid_el_44():
    check = rules.ballots_valid(NATIONAL, subject="副主席", round_number=1, issued=10, returned=11)
    assert check.detail == {"issued": 10, "returned": 11}
    assert "11" in check.message and "10" in check.message and "无效" in check.message
    assert_blocked_names_rule(check, "收回选票不得多于发出选票", "《选举法》第四十四条")


@pytest.mark.parametrize("returned", [56, 55, 0])
def test_ballots_returned_equal_or_fewer_valid_el_44(returned):
    assert rules.ballots_valid(NATIONAL, subject="x", round_number=1, issued=56, returned=returned).ok is True


def test_ballots_chongqing_cites_cq_24():
    check = rules.ballots_valid(CHONGQING, subject="x", round_number=2, issued=10, returned=11)
    assert_blocked_names_rule(check, "收回选票不得多于发出选票", f"{CQ}第二十四条")
    assert "第2轮" in check.message


@pytest.mark.parametrize(("marked", "seats", "void"), [(2, 1, True), (1, 1, False), (0, 1, False), (3, 2, True),
                                                       (2, 2, False)])
def test_ballot_marking_more_than_seats_is_void_el_44(marked, seats, void):
    """EL 第四十四条 / CQ 第二十四条: 多于应选名额的作废; equal or fewer (incl. blank) is valid."""
    assert rules.ballot_is_void(marked=marked, seats=seats) is void


# --- counting: LOL 第二十九条 ---------------------------------------------------------------


def test_count_round_majority_of_all_elects_lol_29():
    out = rules.count_round(NATIONAL, subject="副主席", kind="formal", total=60, seats=1,
                            votes={"陈晓梅": 41, "刘志强": 14})
    assert out.elected == ["陈晓梅"]
    assert (out.tied, out.unfilled, out.tied_seats, out.required) == ([], 0, 0, 31)
    assert out.check.ok is True
    assert "41" in out.reasons["陈晓梅"] and "60" in out.reasons["陈晓梅"]
    assert "14" in out.reasons["刘志强"] and "31" in out.reasons["刘志强"]


def test_count_round_exactly_half_is_not_elected_lol_29():
    out = rules.count_round(NATIONAL, subject="副主席", kind="formal", total=60, seats=1,
                            votes={"陈晓梅": 30, "刘志强": 25})
    assert out.elected == []
    assert out.unfilled == 1
    assert out.check.ok is False
    assert "另行选举" in out.check.message
    assert out.check.blocked_message().startswith("未通过“当选”规则（《地方组织法》第二十九条）")


def test_count_round_more_passing_than_seats_highest_win_lol_29():
    out = rules.count_round(NATIONAL, subject="副镇长", kind="formal", total=60, seats=2,
                            votes={"甲": 35, "乙": 50, "丙": 40, "丁": 10})
    assert out.elected == ["乙", "丙"]
    assert out.tied == [] and out.unfilled == 0 and out.check.ok is True
    assert "得票较少未当选" in out.reasons["甲"]
    assert "未超过" in out.reasons["丁"]


def test_count_round_tie_at_cutoff_revote_among_tied_lol_29():
    """LOL 第二十九条: 如遇票数相等不能确定当选人时，应当就票数相等的人再次投票."""
    out = rules.count_round(NATIONAL, subject="副镇长", kind="formal", total=60, seats=2,
                            votes={"甲": 45, "乙": 35, "丙": 35, "丁": 20})
    assert out.elected == ["甲"]
    assert out.tied == ["乙", "丙"]
    assert out.tied_seats == 1
    assert out.unfilled == 0
    assert out.check.ok is False
    assert "乙、丙" in out.check.message
    assert "再次投票" in out.reasons["乙"]
    assert_blocked_names_rule(out.check, "当选", f"{LOL}第二十九条")


def test_count_round_tie_for_single_seat_elects_nobody_lol_29():
    out = rules.count_round(NATIONAL, subject="主席", kind="formal", total=60, seats=1,
                            votes={"甲": 32, "乙": 32})
    assert out.elected == []
    assert sorted(out.tied) == ["乙", "甲"]
    assert out.tied_seats == 1


def test_count_round_tie_below_cutoff_is_not_a_tie_lol_29():
    out = rules.count_round(NATIONAL, subject="x", kind="formal", total=60, seats=1,
                            votes={"甲": 40, "乙": 10, "丙": 10})
    assert out.elected == ["甲"] and out.tied == [] and out.check.ok is True


def test_count_round_too_few_elected_leaves_seats_unfilled_lol_29():
    """LOL 第二十九条: 当选人数少于应选名额时，不足的名额另行选举."""
    out = rules.count_round(NATIONAL, subject="副镇长", kind="formal", total=60, seats=3,
                            votes={"甲": 40, "乙": 31, "丙": 30, "丁": 29})
    assert out.elected == ["甲", "乙"]
    assert out.unfilled == 1 and out.tied == []
    assert "应选3名" in out.check.message and "当选2名" in out.check.message


def test_count_round_additional_election_still_needs_majority_lol_29():
    out = rules.count_round(NATIONAL, subject="x", kind="additional", total=60, seats=1, votes={"丙": 30, "丁": 20})
    assert out.elected == [] and out.unfilled == 1


def test_count_round_revote_ranks_tied_without_majority_lol_29():
    """LOL 第二十九条: 就票数相等的人再次投票，以得票多的当选 — no second majority test."""
    out = rules.count_round(NATIONAL, subject="副镇长", kind="revote", total=60, seats=1,
                            votes={"乙": 25, "丙": 28})
    assert out.elected == ["丙"]
    assert out.tied == [] and out.unfilled == 0 and out.check.ok is True
    assert "再次投票" in out.reasons["丙"] and "28" in out.reasons["丙"]
    assert out.reasons["乙"]


def test_count_round_revote_tied_again_lol_29():
    out = rules.count_round(NATIONAL, subject="x", kind="revote", total=60, seats=1, votes={"乙": 27, "丙": 27})
    assert out.elected == []
    assert out.tied == ["乙", "丙"]
    assert out.check.ok is False


def test_count_round_write_in_counts_like_a_candidate_lol_28():
    """LOL 第二十八条: 可以另选其他任何代表 — a write-in above the majority is elected like a candidate."""
    out = rules.count_round(NATIONAL, subject="副主席", kind="formal", total=60, seats=1,
                            votes={"陈晓梅": 20, "刘志强": 5, "王另选": 33})
    assert out.elected == ["王另选"]
    assert "33" in out.reasons["王另选"]


def test_count_round_preliminary_ranks_without_majority_lol_27():
    """LOL 第二十七条: 预选 ranks by votes and lists the formal candidates; no majority test."""
    out = rules.count_round(NATIONAL, subject="副镇长", kind="preliminary", total=60, seats=3,
                            votes={"甲": 20, "乙": 45, "丙": 12, "丁": 30, "戊": 5})
    assert out.tied == [] and out.unfilled == 0
    assert out.check.ok is True
    for listed in ("乙", "丁", "甲"):
        assert "列为正式候选人" in out.reasons[listed] and "未列为" not in out.reasons[listed]
    for dropped in ("丙", "戊"):
        assert "未列为正式候选人" in out.reasons[dropped]


def test_count_round_preliminary_tie_at_cut_lol_27():
    out = rules.count_round(NATIONAL, subject="x", kind="preliminary", total=60, seats=2,
                            votes={"甲": 40, "乙": 30, "丙": 30, "丁": 10})
    assert out.tied == ["乙", "丙"]
    assert out.elected == []


def test_count_round_preliminary_elects_nobody_lol_27():
    out = rules.count_round(NATIONAL, subject="副镇长", kind="preliminary", total=60, seats=3,
                            votes={"甲": 50, "乙": 45, "丙": 40, "丁": 30})
    assert out.elected == []


# --- periods: CC 第二百零一至二百零三条 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),   # 第二百零二条: no 31st in April → month's last day
        (date(2026, 1, 5), 3, date(2026, 4, 5)),     # same-numbered day
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day into a common year
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # into a leap February
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # into a common February
        (date(2026, 10, 31), 2, date(2026, 12, 31)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),  # across the year end
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
    ],
)
def test_add_months_corresponding_day_cc_202(start, months, end):
    assert rules.add_months(start, months) == end


def test_period_end_not_on_holiday_unchanged_cc_203():
    d = rules.period_end(date(2026, 1, 31), 3, never_rest, CC_CITATION)
    assert (d.due, d.last_day, d.extended, d.year_unknown, d.note) == (
        date(2026, 4, 30), date(2026, 4, 30), False, False, "")
    assert d.citation == CC_CITATION


def test_period_end_on_national_day_moves_past_the_holiday_cc_203():
    """CC 第二百零三条: a period whose last day (2026-10-01) falls in the National Day holiday ends the day after it."""
    # the real 2026 arrangement (chinese-calendar): 10-01..10-07 off, 10-08 a working day
    assert all(is_rest_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_rest_day(date(2026, 10, 8)) is False
    d = rules.period_end(date(2026, 7, 1), 3, is_rest_day, CC_CITATION)
    assert d.last_day == date(2026, 10, 1)
    assert d.due == date(2026, 10, 8)
    assert d.extended is True and d.year_unknown is False
    assert "2026-10-01" in d.note and "2026-10-08" in d.note


def test_period_end_on_adjusted_working_saturday_not_moved_cc_203():
    """2026-10-10 is a Saturday made a working day (调休); the calendar, not the weekday, decides."""
    assert date(2026, 10, 10).weekday() == 5
    d = rules.period_end(date(2026, 7, 10), 3, is_rest_day, CC_CITATION)
    assert d.due == d.last_day == date(2026, 10, 10)
    assert d.extended is False


def test_period_end_unknown_year_reported_not_guessed_cc_203():
    """chinese-calendar does not know 2027: the deadline is reported as unverified, not silently extended."""
    assert is_rest_day(date(2027, 3, 1)) is None
    d = rules.period_end(date(2026, 12, 1), 3, is_rest_day, CC_CITATION)
    assert d.last_day == date(2027, 3, 1)
    assert d.due == date(2027, 3, 1)
    assert d.year_unknown is True
    assert d.extended is False
    assert "2027" in d.note


@pytest.mark.parametrize(
    ("profile", "complex_case", "due", "article"),
    [
        (NATIONAL, False, date(2026, 4, 30), "deputies-law-2025.md 第五十一条"),       # 3 months from handover
        (NATIONAL, True, date(2026, 7, 31), "deputies-law-2025.md 第五十一条"),        # 6 months
        (CHONGQING, False, date(2026, 3, 31), "chongqing-township-congress-2016.md 第十六条"),  # 2 months
        (CHONGQING, True, date(2026, 5, 31), "chongqing-township-congress-2016.md 第十六条"),   # 4 months
        (SHANDONG, False, date(2026, 3, 10), "shandong-township-congress-2015.md 第十五条"),    # 2 from closing
        (SHANDONG, True, date(2026, 5, 10), "shandong-township-congress-2015.md 第十五条"),     # 4 from closing
        (ZHEJIANG, False, date(2026, 4, 30), "deputies-law-2025.md 第五十一条"),       # inherits national
    ],
)
def test_suggestion_reply_due_per_profile(profile, complex_case, due, article):
    """DL 第五十一条 (3/6 months from handover); CQ 第十六条 (2/4 from handover); SD 第十五条 (2/4 from closing)."""
    d = rules.suggestion_reply_due(profile, handover=date(2026, 1, 31), closing=date(2026, 1, 10),
                                   complex_case=complex_case, is_rest_day=never_rest)
    assert d.due == due
    assert str(d.citation) == article


def test_suggestion_reply_due_uses_the_holiday_calendar_dl_51():
    d = rules.suggestion_reply_due(NATIONAL, handover=date(2026, 7, 1), closing=date(2026, 6, 20),
                                   complex_case=False, is_rest_day=is_rest_day)
    assert d.last_day == date(2026, 10, 1)
    assert d.due == date(2026, 10, 8)


def test_rest_day_warnings():
    warnings = rules.rest_day_warnings(
        {"开会日期": date(2026, 10, 1), "报到日期": date(2026, 9, 30), "通知日期": date(2027, 1, 5)}, is_rest_day)
    assert len(warnings) == 2
    assert "开会日期" in warnings[0] and "2026-10-01" in warnings[0]
    assert "通知日期" in warnings[1] and "2027-01-05" in warnings[1] and "尚未收录" in warnings[1]


def test_preliminary_lists_formal_candidates_and_reports_ties_lol_27():
    """A preliminary vote fills the formal list by votes; a tie at the last place is re-voted, those above stay listed."""
    out = rules.count_round(NATIONAL, subject="副镇长", kind="preliminary", total=60, seats=3,
                            votes={"甲": 50, "乙": 45, "丙": 40, "丁": 30})
    assert out.listed == ["甲", "乙", "丙"] and out.tied == []
    tie = rules.count_round(NATIONAL, subject="副镇长", kind="preliminary", total=60, seats=3,
                            votes={"甲": 50, "乙": 45, "丙": 30, "丁": 30})
    assert tie.listed == ["甲", "乙"] and tie.tied == ["丙", "丁"] and tie.tied_seats == 1

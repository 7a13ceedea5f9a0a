"""Fast tier: province profiles (config/profiles/*.yaml) and the message catalogue.

Every rule must cite an article that exists in the statute texts under law/, quote it
faithfully, and inherit correctly; every message key the code uses must exist.
"""

from __future__ import annotations

import ast
import difflib
import re
import string
from pathlib import Path

import pytest

import congress
from congress.messages import _catalogue
from congress.profiles import STATUTE_NAMES, Citation, available_profiles, load_profile

REPO = Path(congress.__file__).resolve().parents[1]
PROFILES_DIR = REPO / "config" / "profiles"
LAW_DIR = REPO / "law"  # the statute texts, part of the repository (law/README.md: source and version)
MESSAGES = _catalogue()  # templates/messages.zh.yaml and every templates/messages.d/*.zh.yaml

# law/ is in every clone: these tests always run (test_every_statute_name_has_a_law_file fails without it)
needs_law = pytest.mark.skipif(False, reason="never skipped")

ARTICLE_HEAD = re.compile(r"^(第[一二三四五六七八九十百零]+条)[ \u3000]")
SECTION_HEAD = re.compile(r"^(#|第[一二三四五六七八九十百零]+[章节编][ \u3000]?)")

# the rule keys congress/rules.py looks up; every profile must have them (directly or inherited)
RULES_USED = {
    "quorum", "majority", "notice_days", "materials_days", "notice_exempt_extraordinary", "motion_sponsors",
    "inquiry_sponsors", "nomination_deputies", "principal_candidates", "vice_candidates", "by_election_candidates",
    "ballots_returned", "ballot_overmarked", "elected", "suggestion_reply",
    # who may do what (docs/rules.md): every profile has them, directly or from the national baseline
    "extraordinary_proposal", "first_session_within", "chair_seats", "chair_from_deputies", "chair_incompatible",
    "presidium_includes_chairs", "government_seats", "nomination_limit", "nomination_period", "candidate_order",
    "preliminary_list", "write_in", "additional_candidates", "credentials_committee", "credentials_confirmed",
    "deputy_quota", "mandate_ended",
}
# rules only some provinces have (congress/rules.py skips them where the profile has none)
PROVINCE_RULES = {"presidium_size": {"zhejiang", "chongqing", "shandong", "henan"},
                  "presidium_incompatible": {"zhejiang", "chongqing", "henan"},
                  "executive_chairs": {"shandong"}}

PROFILE_NAMES = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def all_rules():
    """(profile, key, RuleSpec) for every rule a profile file declares itself (not inherited)."""
    out = []
    for name in PROFILE_NAMES:
        profile = load_profile(name)
        for key, spec in profile.rules.items():
            if spec.source_profile == name:
                out.append(pytest.param(name, key, spec, id=f"{name}.{key}"))
    return out


def quoted_rules():
    return [p for p in all_rules() if p.values[2].text]


def article_text(file: str, article: str) -> str | None:
    """The article's text, from its heading line up to the next article or chapter heading."""
    lines = (LAW_DIR / file).read_text(encoding="utf-8").splitlines()
    collected: list[str] = []
    inside = False
    for line in lines:
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


def coverage(quote: str, text: str) -> float:
    """Share of the quote's characters found, in order, in the article (runs of ≥ 2 characters)."""
    flat = re.sub(r"\s", "", text)
    blocks = difflib.SequenceMatcher(None, quote, flat, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks if b.size >= 2) / len(quote)


CN_DIGITS = {1: "一", 2: "二|两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}


def test_profiles_folder_lists_the_five_profiles():
    assert available_profiles() == PROFILE_NAMES
    assert {"national", "zhejiang", "chongqing", "shandong", "henan"} <= set(PROFILE_NAMES)


@pytest.mark.parametrize("key", sorted(PROVINCE_RULES))
def test_province_only_rules_are_where_the_province_says_so(key):
    assert {name for name in PROFILE_NAMES if key in load_profile(name).rules} == PROVINCE_RULES[key]


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_profile_loads_with_all_rules_the_code_uses(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile.title
    missing = RULES_USED - set(profile.rules)
    assert not missing, f"{name} lacks {missing}"
    for key, spec in profile.rules.items():
        assert spec.key == key
        assert spec.title, key
        assert spec.basis in ("statute", "practice"), key


@pytest.mark.parametrize(("name", "key", "spec"), all_rules())
def test_rule_is_documented(name, key, spec):
    """A statute rule quotes its article; a practice rule says why the value is not from a statute."""
    if spec.basis == "statute":
        assert spec.text, f"{name}.{key} has no quoted text"
    else:
        assert spec.note, f"{name}.{key} (practice) has no note"


@needs_law
def test_every_statute_name_has_a_law_file():
    for file in STATUTE_NAMES:
        assert (LAW_DIR / file).is_file(), file


@needs_law
@pytest.mark.parametrize(("name", "key", "spec"), all_rules())
def test_citation_names_an_existing_file_and_article(name, key, spec):
    path = LAW_DIR / spec.citation.file
    assert path.is_file(), f"{name}.{key}: {spec.citation.file} is not in {LAW_DIR}"
    heads = {m.group(1) for line in path.read_text(encoding="utf-8").splitlines() if (m := ARTICLE_HEAD.match(line))}
    assert spec.citation.article in heads, f"{name}.{key}: {spec.citation} has no heading '{spec.citation.article} '"
    assert spec.citation.file in STATUTE_NAMES, f"{spec.citation.file} has no short name for messages"


@needs_law
@pytest.mark.parametrize(("name", "key", "spec"), quoted_rules())
def test_quoted_text_matches_the_article(name, key, spec):
    """`text:` is the article's wording (abridged quotes allowed): ≥ 90 % of it found in order in the article."""
    article = article_text(spec.citation.file, spec.citation.article)
    assert article, spec.citation
    if spec.text in article:
        return
    share = coverage(spec.text, article)
    assert share >= 0.9, f"{name}.{key}: only {share:.0%} of the quote is in {spec.citation}:\n{spec.text}"


@needs_law
@pytest.mark.parametrize(("name", "key", "spec"), quoted_rules())
def test_numbers_in_quote_match_the_article_and_the_value(name, key, spec):
    """Numerals (七日, 五人, 两个月, 三分之二 …) quoted must be in the article, and agree with the rule's value."""
    article = re.sub(r"\s", "", article_text(spec.citation.file, spec.citation.article) or "")
    for numeral in re.findall(r"[一二三四五六七八九十两]+(?:人|日|天|个月)|[一二三四五六七八九十]+分之[一二三四五六七八九十]+",
                              spec.text):
        assert numeral in article, f"{name}.{key}: {numeral} not in {spec.citation}"
    checks = []
    if isinstance(spec.params.get("value"), int) and not isinstance(spec.params["value"], bool):
        checks.append(spec.params["value"])
    for param in ("months", "complex_months"):
        if param in spec.params:
            checks.append(spec.params[param])
    for n in checks:
        assert re.search(f"(?:{CN_DIGITS[n]})(?:人|日|天|个月)", spec.text), f"{name}.{key}: {n} not in «{spec.text}»"
    if "numerator" in spec.params and "分之" in spec.text:
        fraction = f"{CN_DIGITS[spec['denominator']][0]}分之{CN_DIGITS[spec['numerator']][0]}"
        assert fraction in spec.text


@needs_law
def test_article_extraction_sanity():
    """The helper above really isolates one article (so the text checks can fail)."""
    text = article_text("local-organic-law-2022.md", "第二十五条")
    assert text.startswith("第二十五条 地方各级人民代表大会进行选举和通过决议，以全体代表的过半数通过。")
    assert "第二十六条" not in text
    assert article_text("local-organic-law-2022.md", "第九百条") is None
    assert coverage("完全无关的一段文字内容", text) < 0.5


# --- inheritance ---------------------------------------------------------------------------


def test_zhejiang_overrides_notice_days_keeps_national_quorum():
    zj = load_profile("zhejiang")
    notice = zj.rule("notice_days")
    assert notice["value"] == 7
    assert str(notice.citation) == "zhejiang-township-congress-2016.md 第二十条"
    assert notice.source_profile == "zhejiang"
    assert notice.basis == "statute"
    quorum = zj.rule("quorum")
    assert str(quorum.citation) == "local-organic-law-2022.md 第十四条"
    assert quorum.source_profile == "national"
    assert (quorum["numerator"], quorum["denominator"]) == (2, 3)
    assert zj.rule("vice_candidates") == load_profile("national").rule("vice_candidates")
    assert zj.title == "浙江省"


def test_chongqing_and_shandong_overrides():
    cq = load_profile("chongqing")
    assert cq.rule("notice_days")["value"] == 10
    assert cq.rule("notice_days").citation.label == "《重庆市乡镇人民代表大会工作条例》第十一条"
    assert (cq.rule("suggestion_reply")["months"], cq.rule("suggestion_reply")["complex_months"]) == (2, 4)
    # CQ 第八条 says 提前 without a number: the practice value, with Chongqing's own article
    assert cq.rule("materials_days").source_profile == "chongqing" and cq.rule("materials_days").basis == "practice"
    assert str(cq.rule("materials_days").citation) == "chongqing-township-congress-2016.md 第八条"
    # CQ 第十一条 gives ten days' notice with no exemption for extraordinary sessions
    assert cq.rule("notice_exempt_extraordinary")["value"] is False
    sd = load_profile("shandong")
    assert sd.rule("suggestion_reply")["counted_from"] == "closing"
    assert sd.rule("notice_days")["value"] == 7
    assert sd.rule("notice_days").source_profile == "national"
    national = load_profile("national")
    assert national.rule("suggestion_reply")["counted_from"] == "handover"
    assert (national.rule("suggestion_reply")["months"], national.rule("suggestion_reply")["complex_months"]) == (3, 6)


def test_multi_level_extends_chain(tmp_path):
    for name in ("national", "zhejiang"):
        (tmp_path / f"{name}.yaml").write_text((PROFILES_DIR / f"{name}.yaml").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (tmp_path / "qingshan.yaml").write_text(
        "name: qingshan\ntitle: 青山镇\nextends: zhejiang\nrules:\n"
        "  party_approval:\n    title: 会议方案报党委审批\n    value: false\n    basis: practice\n"
        "    citation: local-organic-law-2022.md 第三条\n    note: 本镇不报批\n",
        encoding="utf-8",
    )
    profile = load_profile("qingshan", tmp_path)
    assert profile.name == "qingshan" and profile.title == "青山镇"
    assert profile.rule("party_approval")["value"] is False
    assert profile.rule("party_approval").source_profile == "qingshan"
    assert profile.rule("notice_days").source_profile == "zhejiang"
    assert profile.rule("quorum").source_profile == "national"


def test_unknown_profile_raises_key_error(tmp_path):
    with pytest.raises(KeyError):
        load_profile("hubei", tmp_path)


def test_citation_parse_and_label():
    c = Citation.parse(" local-organic-law-2022.md 第十四条 ")
    assert (c.file, c.article) == ("local-organic-law-2022.md", "第十四条")
    assert str(c) == "local-organic-law-2022.md 第十四条"
    assert c.label == "《地方组织法》第十四条"
    assert Citation("other.md", "第一条").label == "other.md第一条"
    for bad in ("local-organic-law-2022.md 14", "第十四条", "local-organic-law-2022.md第十四条", "LOL.md 第十四条"):
        with pytest.raises(ValueError):
            Citation.parse(bad)


def test_profile_with_bad_citation_fails_to_load(tmp_path):
    (tmp_path / "broken.yaml").write_text(
        "name: broken\ntitle: x\nextends: null\nrules:\n  quorum:\n    title: t\n    citation: LOL 14\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="LOL 14"):
        load_profile("broken", tmp_path)


# --- message catalogue -----------------------------------------------------------------------

SOURCES = sorted((REPO / "congress").rglob("*.py"))
KEY_PREFIXES = ("rule", "input", "cli", "step", "status", "gate", "decision")


def used_message_keys() -> set[str]:
    """Literal keys passed to msg("…"), plus key-like string literals assigned and passed on later."""
    call = re.compile(r"""\bmsg\(\s*(["'])([^"'{}]+)\1""")
    prefixes = "|".join(KEY_PREFIXES)
    literal = re.compile(r"""["']((?:""" + prefixes + r""")\.[a-z_]+(?:\.[a-z_]+)*)["']""")
    keys: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        keys |= {m.group(2) for m in call.finditer(text)}
        keys |= {m.group(1) for m in literal.finditer(text)}
    return keys


def test_message_key_scan_finds_keys():
    keys = used_message_keys()
    assert {"rule.blocked", "rule.quorum.fail", "input.encoding", "input.error"} <= keys
    assert len(keys) > 40


def test_every_message_key_used_in_code_exists():
    missing = sorted(k for k in used_message_keys() if k not in MESSAGES)
    assert not missing, f"keys used in congress/ but absent from the message catalogue: {missing}"


def test_message_placeholders_match_the_calls():
    """Every msg("key", a=…, b=…) passes exactly the placeholders the template needs (else KeyError at run time)."""
    problems = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "msg" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            key = node.args[0].value
            if key not in MESSAGES or any(kw.arg is None for kw in node.keywords):
                continue
            given = {kw.arg for kw in node.keywords}
            needed = {f for _, f, _, _ in string.Formatter().parse(MESSAGES[key]) if f}
            if needed - given:
                problems.append(f"{path.name}:{node.lineno} {key} lacks {needed - given}")
    assert not problems, problems


def test_blocked_message_template_carries_title_and_citation():
    fields = {f for _, f, _, _ in string.Formatter().parse(MESSAGES["rule.blocked"]) if f}
    assert fields == {"title", "citation", "detail"}

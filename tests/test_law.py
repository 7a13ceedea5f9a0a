"""The statutes inside the project (issue 15, item 4): law/ holds every text the profiles cite, each with
its source and version, `congress law show` prints an article, and the dashboard links a citation to it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from congress import law
from congress.profiles import STATUTE_NAMES, available_profiles, load_profile
from congress.web.workbooks import law_href

REPO = Path(__file__).resolve().parents[1]


def test_every_cited_statute_is_in_law_with_its_source_and_version():
    readme = (REPO / "law" / "README.md").read_text(encoding="utf-8")
    assert set(STATUTE_NAMES) == set(law.statute_files())
    for file in STATUTE_NAMES:
        first = (law.LAW_DIR / file).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("<!--") and "law/README.md" in first and "《著作权法》第五条" in first, file
        assert f"`{file}`" in readme, f"{file} is not listed in law/README.md"
        statute = law.load_statute(file)
        assert statute.title.startswith(("中华人民共和国", "浙江省", "重庆市", "山东省", "河南省")), file
        assert re.match(r"^\d{4}年", statute.version), (file, statute.version)


@pytest.mark.parametrize("file", sorted(STATUTE_NAMES))
def test_articles_run_first_to_last_without_a_gap(file):
    """The parser finds every article (一, 二 … in order): an article it missed would show as a gap."""
    heads = list(law.load_statute(file).articles)
    first = {"civil-code-periods.md": 200}.get(file, 1)  # the Civil Code excerpt starts at 第二百条
    assert heads == [f"第{law.chinese_number(n)}条" for n in range(first, first + len(heads))]


def test_every_profile_citation_resolves_to_an_article():
    for name in available_profiles():
        for key, spec in load_profile(name).rules.items():
            text = law.article_text(spec.citation.file, spec.citation.article)
            assert text and text.startswith(spec.citation.article), f"{name}.{key}: {spec.citation}"


@pytest.mark.parametrize(("given", "file"), [
    ("地方组织法", "local-organic-law-2022.md"), ("《代表法》", "deputies-law-2025.md"),
    ("election-law-2020.md", "election-law-2020.md"), ("重庆市乡镇人民代表大会工作条例", "chongqing-township-congress-2016.md"),
    ("中华人民共和国全国人民代表大会和地方各级人民代表大会选举法", "election-law-2020.md"),
])
def test_a_statute_is_found_by_the_names_people_use(given, file):
    found = law.find_statute(given)
    assert found is not None and found.file == file
    assert law.find_statute("刑法") is None


@pytest.mark.parametrize(("given", "label"), [
    ("第二十五条", "第二十五条"), ("25", "第二十五条"), ("第25条", "第二十五条"), ("二十五", "第二十五条"),
    ("10", "第十条"), ("105", "第一百零五条"), ("110", "第一百一十条"), ("第五十一条", "第五十一条"), ("x", None),
    ("0", None), ("1000", None),
])
def test_article_labels(given, label):
    assert law.article_label(given) == label


def test_congress_law_show_prints_an_article():
    run = subprocess.run([sys.executable, "-m", "cli.main", "law", "show", "地方组织法", "第二十五条"], cwd=REPO,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "第二十五条 地方各级人民代表大会进行选举和通过决议，以全体代表的过半数通过。" in run.stdout
    assert "第六次修正" in run.stdout.splitlines()[0]
    missing = subprocess.run([sys.executable, "-m", "cli.main", "law", "show", "代表法", "第九百条"], cwd=REPO,
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "代表法没有第九百条" in missing.stderr


def test_the_dashboard_links_a_citation_to_its_article():
    assert law_href("local-organic-law-2022.md 第十四条") == "/law/local-organic-law-2022.md/" \
        "%E7%AC%AC%E5%8D%81%E5%9B%9B%E6%9D%A1"
    assert law_href("《地方组织法》第十四条") == law_href("local-organic-law-2022.md 第十四条")
    assert law_href(load_profile("national").rule("quorum").citation) == law_href("《地方组织法》第十四条")
    assert law_href("practice") == "" and law_href("《刑法》第一条") == ""

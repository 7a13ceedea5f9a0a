"""Document builder: templates render with the sample context, and the .docx layout is right."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from congress.documents.builder import (
    build_document,
    cite,
    cn_date,
    cn_date_range,
    cn_datetime,
    cn_month,
    cn_num,
    cn_time,
    cn_weekday,
    markup_to_docx,
    parse_markup,
    render_text,
    template_environment,
    write_bytes_atomic,
)
from tests.doc_context import TEMPLATE_NAMES as CORE_TEMPLATE_NAMES
from tests.doc_context import all_template_names, context_for, sample_context

TEMPLATE_NAMES = all_template_names()

CREATED = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates" / "documents"


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return template_environment()


def _build(env: jinja2.Environment, name: str, path: Path, context: dict | None = None) -> str:
    return build_document(
        env, name, context or context_for(name), path, title=name, author="青山镇人大办", created=CREATED
    )


def _alignment(paragraph):
    """Alignment as Word shows it: direct formatting first, then the paragraph style."""
    return (
        paragraph.alignment if paragraph.alignment is not None else paragraph.style.paragraph_format.alignment
    )


def _style_east_asia_font(paragraph) -> str | None:
    rfonts = paragraph.style.element.find(qn("w:rPr")).find(qn("w:rFonts"))
    return rfonts.get(qn("w:eastAsia"))


@pytest.fixture(scope="module")
def notice_docx(env, tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "notice-QS004.docx"
    _build(env, "notice.md.j2", path)
    return Document(str(path))


# --- Templates ------------------------------------------------------------------------------


def test_every_template_has_a_sample_context():
    files = sorted(p.name for p in TEMPLATES_DIR.glob("*.md.j2"))
    missing = [name for name in files if name not in TEMPLATE_NAMES]
    assert not missing, f"no sample context in tests/doc_context.py (TEMPLATE_NAMES or EXTRA_TEMPLATES): {missing}"
    assert sorted(TEMPLATE_NAMES) == files


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_template_renders_with_the_sample_context(env, name):
    text = render_text(env, name, context_for(name))
    for bad in ("None", "{{", "{%", "Undefined", "True", "False"):
        assert bad not in text, f"{name} printed {bad!r}"
    blocks = parse_markup(text)
    assert any(b.kind == "title" for b in blocks)
    doc = Document(io.BytesIO(markup_to_docx(text, title=name, author="a", created=CREATED)))
    assert "".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize(
    "kind, kind_cn, ordinal", [("extraordinary", "临时会议", 4), ("first_of_term", "第一次会议", 1)]
)
@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_templates_render_for_other_session_kinds(env, name, kind, kind_cn, ordinal):
    context = context_for(name)
    context["session"] = {
        **context["session"],
        "kind": kind,
        "kind_cn": kind_cn,
        "ordinal": ordinal,
        "title": f"青山镇第十八届人民代表大会第{cn_num(ordinal)}次会议",
    }
    assert "None" not in render_text(env, name, context)


def test_templates_without_elections_motions_or_plenaries(env):
    for name in TEMPLATE_NAMES:
        context = context_for(name)
        context.update(
            elections=[], motions=[], schedule=[s for s in context["schedule"] if s["kind"] != "plenary"]
        )
        text = render_text(env, name, context)
        assert "None" not in text, name


def test_notice_is_addressed_to_the_deputy_with_group_checkin_and_materials(env):
    context = context_for("notice.md.j2")
    text = render_text(env, "notice.md.j2", context)
    assert "<< 刘芳代表：" in text
    assert "第一代表小组" in text
    assert "2026年12月21日（星期一）14时前到青山镇人民政府一楼大厅报到" in text
    assert all(m in text for m in context["materials"])
    assert "联系人：徐静" in text
    del context["contact"]  # optional
    assert "联系人：青山镇人大主席团办公室" in render_text(env, "notice.md.j2", context)


def test_a_returned_request_is_recorded_as_returned(env):
    context = context_for("party_reply.md.j2")
    context["approval"] = {
        **context["approval"],
        "decision": "returned",
        "decision_cn": "退回修改",
        "comments": "议程中增加听取镇政府关于垃圾分类工作的专项报告。",
    }
    text = render_text(env, "party_reply.md.j2", context)
    assert "退回修改" in text and "垃圾分类" in text and "同意于" not in text


def test_election_measures_cite_the_articles_and_the_majority(env):
    text = render_text(env, "election_measures.md.j2", context_for("election_measures.md.j2"))
    assert "第二十五条至第三十条" in text
    assert "即不少于6票的，始得当选" in text
    assert "多于发出的选票数的，选举无效" in text
    assert "多于应选名额的，为无效票" in text
    assert "就票数相等的候选人再次投票" in text
    assert "^^ （草案）" in text
    context = {**context_for("election_measures.md.j2"), "adopted_on": date(2026, 12, 23)}
    assert "（2026年12月23日青山镇第十八届人民代表大会第三次会议通过）" in render_text(
        env, "election_measures.md.j2", context
    )


def test_ballot_prints_seats_candidates_and_a_write_in_row(env):
    context = context_for("ballot.md.j2")
    text = render_text(env, "ballot.md.j2", context)
    assert ">> 应选1名" in text
    assert "| 候选人 | 赞成 | 反对 | 弃权 |" in text
    assert text.index("| 刘芳 |") < text.index("| 陈国强 |")
    assert text.count("| 另选他人：") == 1
    context["round"] = {**context["round"], "kind_cn": "再次投票", "seats": 2}
    assert render_text(env, "ballot.md.j2", context).count("| 另选他人：") == 2


def test_count_report_for_invalid_and_preliminary_rounds(env):
    context = context_for("count_report.md.j2")
    context["round"] = {**context["round"], "ballots_returned": 10, "valid": False, "elected": []}
    text = render_text(env, "count_report.md.j2", context)
    assert "本次选举无效" in text and "当选为" not in text
    context = context_for("count_report.md.j2")
    context["round"] = {**context["round"], "kind": "preliminary", "kind_cn": "预选", "elected": []}
    text = render_text(env, "count_report.md.j2", context)
    assert "确定正式候选人名单" in text and "当选" not in text


def test_plenary_script_reads_like_a_moderator_script(env):
    text = render_text(env, "plenary_script.md.j2", context_for("plenary_script.md.j2"))
    assert "下面，进行大会第一项，请镇长周建国同志作《青山镇人民政府工作报告》。" in text
    assert "当选为青山镇人民代表大会副主席" in text
    assert "表决结果：赞成8票，反对0票，弃权1票。" in text
    assert text.rstrip().endswith("散会。")


def test_resolution_states_its_adoption(env):
    text = render_text(env, "resolution.md.j2", context_for("resolution.md.j2"))
    assert text.startswith("# 关于青山镇人民政府工作报告的决议\n")
    assert "^^ （2026年12月23日青山镇第十八届人民代表大会第三次会议通过）" in text


def test_missing_variable_fails_loudly(env):
    context = sample_context()  # no `deputy`
    with pytest.raises(jinja2.UndefinedError, match=r"notice\.md\.j2 line \d+: 'deputy' is undefined"):
        render_text(env, "notice.md.j2", context)


def test_docs_describe_every_template_and_filter(env):
    docs_dir = Path(__file__).resolve().parents[1] / "docs"
    docs = (docs_dir / "templates.md").read_text(encoding="utf-8")
    for name in CORE_TEMPLATE_NAMES:
        assert f"`{name}`" in docs, name
    # templates of other areas may be documented with their area
    all_docs = "".join(p.read_text(encoding="utf-8") for p in sorted(docs_dir.glob("*.md")))
    undocumented = [name for name in TEMPLATE_NAMES if f"`{name}`" not in all_docs]
    assert not undocumented, f"templates described in no docs/*.md: {undocumented}"
    for name in ("cn_date", "cn_date_range", "cn_weekday", "cn_time", "cn_datetime", "cn_num", "cite"):
        assert name in env.filters and f"`{name}" in docs, name


def test_output_does_not_depend_on_the_process(tmp_path):
    # A fresh interpreter with another hash seed must produce the same bytes as this one.
    script = (
        "import sys; from datetime import datetime, timezone; from pathlib import Path;"
        "from congress.documents.builder import template_environment, build_document;"
        "from tests.doc_context import context_for;"
        "print(build_document(template_environment(), 'schedule.md.j2', context_for('schedule.md.j2'),"
        " Path(sys.argv[1]), title='schedule.md.j2', author='a', created=datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)))"
    )
    repo = Path(__file__).resolve().parents[1]
    env_vars = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(repo)}
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "child.docx")],
        cwd=repo,
        env=env_vars,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    here = build_document(
        template_environment(),
        "schedule.md.j2",
        context_for("schedule.md.j2"),
        tmp_path / "parent.docx",
        title="schedule.md.j2",
        author="a",
        created=CREATED,
    )
    assert out == here


def test_override_folder_wins_over_repo_templates(tmp_path):
    override = tmp_path / "township-templates"
    override.mkdir()
    (override / "notice.md.j2").write_text(
        "# 青山镇专用通知\n<< {{ deputy.name }}代表：\n请准时参会。\n", encoding="utf-8"
    )
    env = template_environment(override_dir=override)
    context = context_for("notice.md.j2")
    assert render_text(env, "notice.md.j2", context).startswith("# 青山镇专用通知\n<< 刘芳代表：")
    # Templates the folder does not have still come from the repo.
    assert "会议主要议程" in render_text(env, "plan.md.j2", context_for("plan.md.j2"))


def test_templates_root_is_a_parameter_and_a_missing_override_is_an_error(tmp_path):
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "plan.md.j2").write_text("# {{ session.title }}\n", encoding="utf-8")
    env = template_environment(templates_root=tmp_path)
    assert render_text(env, "plan.md.j2", sample_context()) == "# 青山镇第十八届人民代表大会第三次会议"
    with pytest.raises(FileNotFoundError):
        template_environment(override_dir=tmp_path / "nope")


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "零"),
        (1, "一"),
        (3, "三"),
        (10, "十"),
        (11, "十一"),
        (18, "十八"),
        (20, "二十"),
        (21, "二十一"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1010, "一千零一十"),
        (2026, "二千零二十六"),
        (10000, "一万"),
        (100000, "十万"),
        (10010, "一万零一十"),
        (120000, "十二万"),
    ],
)
def test_cn_num(n, expected):
    assert cn_num(n) == expected


def test_date_filters():
    assert cn_date(date(2026, 12, 22)) == "2026年12月22日"
    assert cn_date("2026-01-05") == "2026年1月5日"
    assert cn_date(datetime(2026, 12, 2, 8, 30)) == "2026年12月2日"
    assert cn_weekday(date(2026, 12, 22)) == "星期二"
    assert cn_time("14:00") == "14时" and cn_time("08:30") == "8时30分"
    assert cn_datetime("2026-11-29T11:00:00+00:00") == "2026年11月29日19时"
    assert cn_datetime("2026-11-29T11:05:00+00:00") == "2026年11月29日19时5分"  # one style of times
    assert cn_month("1979-11") == "1979年11月" and cn_month(date(1982, 5, 1)) == "1982年5月"
    assert cn_date_range(date(2026, 12, 22), date(2026, 12, 23)) == "2026年12月22日至23日"
    assert cn_date_range(date(2026, 11, 30), date(2026, 12, 1)) == "2026年11月30日至12月1日"
    assert cn_date_range(date(2026, 12, 31), date(2027, 1, 1)) == "2026年12月31日至2027年1月1日"
    assert cn_date_range(date(2026, 12, 22), date(2026, 12, 22)) == "2026年12月22日"


def test_cite_prints_statute_titles():
    assert (
        cite("local-organic-law-2022.md 第十四条")
        == "《中华人民共和国地方各级人民代表大会和地方各级人民政府组织法》第十四条"
    )
    assert cite("unknown.md 第一条") == "unknown.md 第一条"
    # the rules' labels use short names; a document prints the law's full name
    assert cite("《代表法》第五十一条") == "《中华人民共和国全国人民代表大会和地方各级人民代表大会代表法》第五十一条"
    assert cite("《地方组织法》第十四条").startswith("《中华人民共和国地方各级人民代表大会和地方各级人民政府组织法》")
    assert cite("《浙江省乡镇人民代表大会工作条例》第十条") == "《浙江省乡镇人民代表大会工作条例》第十条"


# --- Markup ---------------------------------------------------------------------------------


def test_markup_blocks():
    blocks = parse_markup(
        "# 标题\n## 一、总体要求\n### （一）时间\n^^ （草案）\n>> 落款\n<< 各位代表：\n\n正文\n"
        "\\# 不是标题\n===\n| 序号 | 姓名 |\n| :-: | :-- |\n| 1 | 王建华 \\| 李秀英 |\n| 2 |\n"
    )
    assert [b.kind for b in blocks] == [
        "title",
        "h1",
        "h2",
        "center",
        "right",
        "flush",
        "body",
        "body",
        "page_break",
        "table",
    ]
    assert blocks[7].text == "# 不是标题"
    table = blocks[-1]
    assert table.rows == [["序号", "姓名"], ["1", "王建华 | 李秀英"], ["2"]]
    assert table.align == ["center", "left"]


def test_full_width_spaces_are_kept():
    (block,) = parse_markup("<< 编号：J001　类别：城乡建设　\n")
    assert block.text == "编号：J001　类别：城乡建设　"


def test_page_break_starts_the_next_paragraph_on_a_new_page():
    doc = Document(
        io.BytesIO(markup_to_docx("# 甲\n正文\n===\n# 乙\n", title="t", author="a", created=CREATED))
    )
    assert [p.paragraph_format.page_break_before for p in doc.paragraphs] == [None, None, True]


# --- Layout ---------------------------------------------------------------------------------


def _close(a: int, b: int) -> bool:
    return abs(a - b) <= Mm(0.1)  # the .docx stores twips


def test_page_is_a4_with_gbt9704_margins(notice_docx):
    section = notice_docx.sections[0]
    assert _close(section.page_width, Mm(210)) and _close(section.page_height, Mm(297))
    assert _close(section.top_margin, Mm(37)) and _close(section.bottom_margin, Mm(35))
    assert _close(section.left_margin, Mm(28)) and _close(section.right_margin, Mm(26))
    assert "PAGE" in section.footer._element.xml


def test_title_is_22pt_centred_xiaobiaosong(notice_docx):
    title = next(p for p in notice_docx.paragraphs if p.text.startswith("关于召开"))
    assert title.style.font.size == Pt(22)
    assert _alignment(title) == WD_ALIGN_PARAGRAPH.CENTER
    assert _style_east_asia_font(title) == "方正小标宋简体"


def test_body_is_16pt_fangsong_with_two_character_indent(notice_docx):
    body = next(p for p in notice_docx.paragraphs if p.text.startswith("经青山镇人民代表大会主席团决定"))
    assert body.style.font.size == Pt(16)
    assert _style_east_asia_font(body) == "仿宋_GB2312"
    assert body.style.paragraph_format.first_line_indent == Pt(32)
    salutation = next(p for p in notice_docx.paragraphs if p.text == "刘芳代表：")
    assert not salutation.style.paragraph_format.first_line_indent
    defaults = notice_docx.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_headings_use_heiti_and_kaiti(env, tmp_path):
    path = tmp_path / "handover.docx"
    _build(env, "handover_letter.md.j2", path)
    doc = Document(str(path))
    h1 = next(p for p in doc.paragraphs if p.text == "一、关于修缮溪口村至石门村村道的建议")
    assert _style_east_asia_font(h1) == "黑体"
    path = tmp_path / "audit.docx"
    _build(env, "audit_report.md.j2", path)
    h2 = next(p for p in Document(str(path)).paragraphs if p.text == "（一）会议方案")
    assert _style_east_asia_font(h2) == "楷体_GB2312"


def test_signature_and_date_are_right_aligned(notice_docx):
    date_line = next(p for p in notice_docx.paragraphs if p.text == "2026年12月8日")
    signature = next(p for p in notice_docx.paragraphs if p.text == "青山镇人民代表大会主席团")
    assert _alignment(date_line) == WD_ALIGN_PARAGRAPH.RIGHT
    assert _alignment(signature) == WD_ALIGN_PARAGRAPH.RIGHT


def test_schedule_table_has_borders_and_a_repeating_header(env, tmp_path):
    path = tmp_path / "schedule.docx"
    _build(env, "schedule.md.j2", path)
    (table,) = Document(str(path)).tables
    assert [c.text for c in table.rows[0].cells] == ["日期", "时间", "会议和主要内容", "地点"]
    assert len(table.rows) == 2 + len(sample_context()["schedule"])  # header, check-in, sittings
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {child.tag.split("}")[1] for child in borders} == {
        "top",
        "left",
        "bottom",
        "right",
        "insideH",
        "insideV",
    }
    assert table.rows[0]._tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None


def test_core_properties_come_from_the_arguments(notice_docx):
    props = notice_docx.core_properties
    assert props.title == "notice.md.j2"
    assert props.author == props.last_modified_by == "青山镇人大办"
    assert props.created == props.modified == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert props.revision == 1


# --- Determinism and files ------------------------------------------------------------------


def test_same_inputs_give_the_same_bytes(env, tmp_path):
    first = _build(env, "notice.md.j2", tmp_path / "a.docx")
    time.sleep(1.1)  # zip timestamps have a 2-second resolution; any clock leak would show
    second = _build(env, "notice.md.j2", tmp_path / "b.docx")
    assert first == second
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.docx") as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in z.namelist()


def test_identical_bytes_are_not_rewritten(env, tmp_path):
    path = tmp_path / "notice.docx"
    digest = _build(env, "notice.md.j2", path)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    assert _build(env, "notice.md.j2", path) == digest
    assert path.stat().st_mtime == 1_000_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["notice.docx"]  # no temporary files left


def test_write_bytes_atomic_replaces_changed_content(tmp_path):
    path = tmp_path / "sub" / "f.bin"
    write_bytes_atomic(path, b"one")
    digest = write_bytes_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert digest == "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3"

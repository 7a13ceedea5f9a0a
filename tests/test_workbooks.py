"""Workbooks in and out (issue 15, items 1–2): .xlsx as Excel and WPS save them reads like the CSV, every
problem names workbook, sheet, row and column, the archive is capped before it is parsed, formulas are
never evaluated; registers and lists are written as .xlsx beside their .docx, registered and audited.

Workbooks here are made with openpyxl the way offices leave them: merged title rows above the header,
Chinese header variants, numbers stored as text and codes typed as numbers, dates as date cells,
trailing empty (formatted) rows, hidden columns, a group name merged down its deputies, a note row.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError
from sqlalchemy import select

from congress import limits, workbooks
from congress.errors import InputError
from congress.followup import operations as fo
from congress.followup import registers, reports, sweeper
from congress.followup.inputs import ITEM_COLUMNS, PETITION_COLUMNS, SUGGESTION_COLUMNS, load_rows
from congress.inputs import born_month, load_attendance, load_roster, load_tallies
from congress.models import AuditEvent, FollowupDocument
from tests.conftest import SAMPLE
from tests.security.conftest import csrf, sqlite_site  # noqa: F401 (a fixture)
from tests.security.test_fuzz import documented_error

SAMPLE_ROWS = list(csv.DictReader(io.StringIO((SAMPLE / "roster.csv").read_text(encoding="utf-8"))))
ROSTER = {r["代表编号"]: r["姓名"] for r in SAMPLE_ROWS}


def office_roster(path: Path, *, rows: list[dict[str, str]] = SAMPLE_ROWS) -> Path:
    """The sample roster as a township office keeps it in Excel."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    ws["A1"] = "青山镇第十八届人民代表大会代表名册"
    ws.merge_cells("A1:J1")
    ws["A2"] = "填报单位（盖章）：青山镇人大办"
    ws.merge_cells("A2:J2")
    for j, header in enumerate(["序号", "代表编号", "代表\n姓名", "性别", "民族", "出生年月（YYYY.MM）", "所在小组",
                                "联系电话", "旧电话", "职务"], start=1):
        ws.cell(3, j, header)
    group_start = 4
    for i, row in enumerate(rows, start=4):
        previous = rows[i - 5]["代表小组"] if i > 4 else None
        ws.cell(i, 1, i - 3)
        ws.cell(i, 2, row["代表编号"])
        ws.cell(i, 3, f" {row['姓名']} ")
        ws.cell(i, 4, row["性别"])
        ws.cell(i, 5, "汉族")
        born = ws.cell(i, 6, datetime(1960 + i % 30, 1 + i % 12, 1))
        born.number_format = "yyyy.mm"
        if row["代表小组"] != previous:  # the group's name once, merged down its deputies
            if i > 4 and i - 1 > group_start:
                ws.merge_cells(start_row=group_start, start_column=7, end_row=i - 1, end_column=7)
            ws.cell(i, 7, row["代表小组"])
            group_start = i
        ws.cell(i, 8, int(row["联系电话"]))  # a phone number typed as a number
        ws.cell(i, 9, "0571-0000000")  # an old column, hidden
        ws.cell(i, 10, row["职务"])
    last = 3 + len(rows)
    if last > group_start:
        ws.merge_cells(start_row=group_start, start_column=7, end_row=last, end_column=7)
    ws.column_dimensions["I"].hidden = True
    for r in range(last + 1, last + 40):  # formatted but empty rows below the table
        ws.cell(r, 2).number_format = "@"
    ws.cell(last + 2, 1, "填表人：李四    填表日期：2026年12月1日")
    ws.merge_cells(start_row=last + 2, start_column=1, end_row=last + 2, end_column=10)
    wb.save(path)
    return path


def problems_of(call: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        call()
    return [str(p) for p in caught.value.problems]


# --- reading -----------------------------------------------------------------------------------------------


def test_an_office_roster_workbook_reads_like_the_csv(tmp_path):
    csv_roster = load_roster(SAMPLE / "roster.csv")
    xlsx = load_roster(office_roster(tmp_path / "代表名册.xlsx"))
    assert xlsx.encoding == "xlsx" and len(xlsx.rows) == len(csv_roster.rows) == 60
    for a, b in zip(csv_roster.rows, xlsx.rows, strict=True):
        assert (a.code, a.name, a.gender, a.group, a.phone, a.occupation, a.status) == \
               (b.code, b.name, b.gender, b.group, b.phone, b.occupation, b.status)
    assert xlsx.rows[0].line == 4 and xlsx.rows[0].ethnicity == "汉族" and xlsx.rows[0].born == "1964-05"
    assert {r.group for r in xlsx.rows} == {r.group for r in csv_roster.rows}  # merged cells filled down


def test_a_problem_names_workbook_sheet_row_and_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = office_roster(tmp_path / "代表名册.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["名册"]
    ws["F7"] = "1975年13月"
    ws["C9"] = None
    ws["B10"] = "QS001"
    wb.save(path)
    assert problems_of(lambda: load_roster(Path("代表名册.xlsx"))) == [
        "代表名册.xlsx 工作表“名册” 第7行 F列（出生年月）：出生年月“1975年13月”无法识别，应写作 1975-03、1975.03 或 1975年3月",
        "代表名册.xlsx 工作表“名册” 第9行 C列（代表姓名）：“姓名”不能为空",
        "代表名册.xlsx 工作表“名册” 第10行 B列（代表编号）：代表编号“QS001”重复（第4行已出现）",
    ]


def test_formulas_are_refused_not_evaluated(tmp_path):
    path = office_roster(tmp_path / "roster.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["名册"]["H5"] = "=B5&\"0\""
    wb.save(path)
    [problem] = problems_of(lambda: load_roster(path))
    assert "第5行 H列（联系电话）" in problem and "是公式（=B5&\"0\"）" in problem and "选择性粘贴" in problem


def test_two_visible_columns_with_one_header_are_refused_a_hidden_one_is_not_read(tmp_path):
    path = office_roster(tmp_path / "roster.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["名册"]
    ws["I3"] = "联系电话"  # the hidden old column now has the same header: the visible one is read
    wb.save(path)
    assert load_roster(path).rows[0].phone == "13800000001"
    ws.column_dimensions["I"].hidden = False
    wb.save(path)
    [problem] = problems_of(lambda: load_roster(path))
    assert "第3行" in problem and "H列、I列" in problem


def test_codes_typed_as_numbers_keep_their_zeros_and_counts_may_be_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["代表编号", "姓名", "代表小组"])
    for i, name in enumerate(["甲", "乙"], start=1):
        ws.append([i, name, "第一组"])
        ws.cell(ws.max_row, 1).number_format = "000"
    wb.save(tmp_path / "r.xlsx")
    assert [r.code for r in load_roster(tmp_path / "r.xlsx").rows] == ["001", "002"]


@pytest.mark.parametrize(("text", "number", "expected"), [
    ("1975.03", False, "1975-03"), ("1975年3月", False, "1975-03"), ("1975-03-01", False, "1975-03"),
    ("197503", False, "1975-03"), ("1975/3", False, "1975-03"), ("1975.1", False, "1975-01"),
    ("1975.10", False, "1975-10"), ("1975.12", True, "1975-12"), ("1975.1", True, None), ("1975.13", False, None),
    ("三月", False, None), ("1875.03", False, None),
])
def test_born_month_as_offices_write_it(text, number, expected):
    value, problem = born_month(workbooks.CellText(text, from_number=number))
    assert value == expected
    assert (problem is None) == (expected is not None)
    if number and expected is None:
        assert "1月与10月" in problem


def test_the_first_sheet_with_the_header_is_read_and_others_are_named_when_none_has_it(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本表用于……"
    other = wb.create_sheet("统计")
    other.append(["姓名", "性别"])
    wb.save(tmp_path / "r.xlsx")
    [problem] = problems_of(lambda: load_roster(tmp_path / "r.xlsx"))
    assert "工作表“统计” 第1行" in problem and "代表编号、代表小组" in problem
    wb.remove(other)
    wb.save(tmp_path / "r.xlsx")
    [problem] = problems_of(lambda: load_roster(tmp_path / "r.xlsx"))
    assert "“说明”" in problem and "代表编号、姓名、代表小组" in problem


def test_attendance_from_the_template_made_for_the_session(tmp_path):
    data = workbooks.SessionData(title="青山镇第十八届人民代表大会第三次会议", deputies=list(ROSTER.items()))
    path = tmp_path / "出席.xlsx"
    path.write_bytes(workbooks.template("attendance", session=data))
    wb = openpyxl.load_workbook(path)
    ws = wb["代表出席情况"]
    assert ws["A1"].value.startswith("青山镇第十八届") and ws.freeze_panes == "A3"
    for row in range(3, 3 + len(ROSTER)):
        ws.cell(row, 3, "出席")
    ws["C5"], ws["D5"] = "请假", "是"
    wb.save(path)
    rows = load_attendance(path, ROSTER)
    assert len(rows) == 60 and rows[2].status == "leave" and rows[2].leave_approved and rows[0].line == 3


def test_tallies_workbook_gives_what_the_yaml_gives(tmp_path):
    yaml_tallies = load_tallies(SAMPLE / "tallies.yaml")
    data = workbooks.SessionData(votes=[(k, k) for k in yaml_tallies.votes],
                                 elections=[("vice-chair", "青山镇人民代表大会副主席", ["陈晓梅", "刘志强"])])
    path = tmp_path / "计票.xlsx"
    path.write_bytes(workbooks.template("tallies", session=data))
    wb = openpyxl.load_workbook(path)
    votes = wb["表决结果"]
    for row in range(3, 3 + len(yaml_tallies.votes)):
        tally = yaml_tallies.votes[votes.cell(row, 1).value]
        votes.cell(row, 3, str(tally.yes))  # counts stored as text
        votes.cell(row, 4, tally.no)
        votes.cell(row, 5, tally.abstain)
    [name] = [n for n in wb.sheetnames if n.endswith("第1轮")]
    rnd = wb[name]
    for label_row, value in ((6, 56), (7, 56), (8, 1)):
        rnd.cell(label_row, 2, value)
    rnd["B11"], rnd["B12"] = 41, 14
    wb.save(path)
    got = load_tallies(path)
    assert {k: (v.yes, v.no, v.abstain) for k, v in got.votes.items()} == \
           {k: (v.yes, v.no, v.abstain) for k, v in yaml_tallies.votes.items()}
    want = yaml_tallies.elections["vice-chair"].rounds[0]
    have = got.elections["vice-chair"].rounds[0]
    assert (have.kind, have.ballots_issued, have.ballots_returned, have.ballots_void, have.votes, have.write_ins) == \
           (want.kind, want.ballots_issued, want.ballots_returned, want.ballots_void, want.votes, want.write_ins)
    # a second round on its own sheet, with a write-in; its 轮次 must follow on
    second = wb.copy_worksheet(rnd)
    second.title = "副主席第2轮"
    second["B4"], second["B5"] = 3, "重新投票"
    second["A13"], second["B13"], second["C13"] = "王五", 2, "是"
    wb.save(path)
    [problem] = problems_of(lambda: load_tallies(path))
    assert "工作表“副主席第2轮” 第4行 B列（轮次）" in problem and "1、3" in problem
    second["B4"] = 2
    wb.save(path)
    rounds = load_tallies(path).elections["vice-chair"].rounds
    assert [r.kind for r in rounds] == ["formal", "revote"] and rounds[1].write_ins == {"王五": 2}


def test_tally_problems_name_the_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表决"
    ws.append(["表决事项编号", "赞成", "反对", "弃权"])
    ws.append(["agenda", "五十六", -1, 0])
    ws.append(["budget", 50, 0, "=60-50"])  # a row with a formula is reported for the formula alone
    wb.save(tmp_path / "t.xlsx")
    assert problems_of(lambda: load_tallies(tmp_path / "t.xlsx")) == [
        "t.xlsx 工作表“表决” 第2行 B列（赞成）：“五十六”不是有效的整数",
        "t.xlsx 工作表“表决” 第2行 C列（反对）：票数不能为负数",
        "t.xlsx 工作表“表决” 第3行 D列（弃权）：是公式（=60-50），不读取公式：请复制该列后“选择性粘贴—数值”，再提交",
    ]


def _filled_template(kind: str, row: list[Any], path: Path) -> Path:
    path.write_bytes(workbooks.template(kind))
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for j, value in enumerate(row, start=1):
        ws.cell(3, j, value)
    wb.save(path)
    return path


@pytest.mark.parametrize(("kind", "row", "check"), [
    ("roster", ["QS101", "张三", "男", "汉族", date(1980, 5, 1), "第一代表小组"],
     lambda p: load_roster(p).rows[0].born == "1980-05"),
    ("suggestions", ["J101", "关于修缮村道的建议", "QS001、QS002", "城乡建设", "镇村建办", "否", "全文", date(2027, 3, 1)],
     lambda p: load_rows(p, SUGGESTION_COLUMNS, set(ROSTER))[0].values["proposers"] == ["QS001", "QS002"]),
    ("items", ["R1", "budget", "公开预算", "镇财政所", "2027-01-05", date(2027, 3, 1), ""],
     lambda p: load_rows(p, ITEM_COLUMNS, set())[0].values["due_on"] == date(2027, 3, 1)),
    ("petitions", ["X1", "2027年2月3日", "来信", "张三", "反映村道破损"],
     lambda p: load_rows(p, PETITION_COLUMNS, set())[0].values["received_on"] == date(2027, 2, 3)),
])
def test_every_template_reads_back_through_its_loader(tmp_path, kind, row, check):
    assert check(_filled_template(kind, row, tmp_path / f"{kind}.xlsx"))


def test_every_template_kind_opens_and_has_a_guide():
    for kind in workbooks.TEMPLATE_KINDS:
        wb = openpyxl.load_workbook(io.BytesIO(workbooks.template(kind)))
        assert wb.sheetnames[-1] == "填写说明" and wb["填写说明"].max_row > 3, kind


# --- what is refused before it is parsed -----------------------------------------------------------------


def _zip(parts: dict[str, bytes], declared: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    # 64 MB of zeros compress to ~64 KB: under the file cap, far over what it may unpack to
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\0" * (64 * 1024 * 1024)})
    assert len(bomb) < limits.MAX_FILE_BYTES["roster"]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(bomb)
    started = time.perf_counter()
    [problem] = problems_of(lambda: load_roster(path))
    assert "解压后过大" in problem and time.perf_counter() - started < 1


def test_too_many_cells_or_merged_cells_are_refused(tmp_path):
    cells = b"".join(b'<c r="A%d"><v>1</v></c>' % i for i in range(limits.MAX_XLSX_CELLS + 1))
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">' \
            + cells + b"</row></sheetData></worksheet>"
    path = tmp_path / "r.xlsx"
    path.write_bytes(_zip({"xl/worksheets/sheet1.xml": sheet}))
    assert "单元格" in problems_of(lambda: load_roster(path))[0]
    merged = b'<worksheet><mergeCells><mergeCell ref="A1:XFD1048576"/></mergeCells></worksheet>'
    path.write_bytes(_zip({"xl/worksheets/sheet1.xml": merged}))
    assert "合并单元格" in problems_of(lambda: load_roster(path))[0]


def test_a_dtd_an_old_xls_and_a_renamed_file_are_refused(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(_zip({"xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'}))
    assert "DTD" in problems_of(lambda: load_roster(path))[0]
    path.write_bytes(workbooks.OLD_EXCEL_MAGIC + b"\0" * 100)
    assert "另存为" in problems_of(lambda: load_roster(path))[0]
    path.write_bytes("代表编号,姓名,代表小组\nQS1,甲,一组\n".encode())  # a CSV named .xlsx
    assert "不是有效的 .xlsx" in problems_of(lambda: load_roster(path))[0]
    path.write_bytes(b"PK\x03\x04" + b"\x01" * 200)  # a broken zip
    assert "不是有效的 .xlsx" in problems_of(lambda: load_roster(path))[0]


def test_a_workbook_is_capped_by_its_kind_like_any_file(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * limits.MAX_FILE_BYTES["roster"])
    assert "文件过大" in problems_of(lambda: load_roster(path))[0]


# --- fuzzing the reader (as tests/security/test_fuzz.py does the CSV loaders, fewer examples) ----------------

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CELLS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                  st.text(max_size=30), st.dates(min_value=date(1900, 1, 1)),
                  st.sampled_from(["QS001", "QS999", "出席", "请假", "缺席", "是", "=1+1", "=SUM(A1:A9)", "1975.1",
                                   "2026-13-45", "代表编号", "姓名", "代表小组", "候选人", "得票数", "选举编号", "轮次",
                                   "vice-chair", "agenda", "赞成", "反对", "弃权", "#N/A", "../x", "\x07", "青" * 300]))
FULL_HEADERS = [["代表编号", "代表姓名", "性别", "出生年月", "所在小组", "联系电话"], ["代表编号", "姓名", "出席情况", "请假批准"],
                ["表决事项编号", "赞成", "反对", "弃权"], ["候选人", "得票数", "另选他人"],
                ["编号", "标题", "提出代表", "承办单位", "内容", "提出日期", "难度较大"]]
HEADERS = st.one_of(  # hypothesis favours the first: a whole header, so that rows are read
    st.sampled_from(FULL_HEADERS).flatmap(st.permutations),
    st.lists(st.sampled_from(sorted({h for row in FULL_HEADERS for h in row} | {"编号", "民族", "x"})), max_size=8))
LABELS = st.lists(st.tuples(st.sampled_from(["选举编号", "轮次", "轮次类别", "发出选票", "收回选票", "无效票",
                                             "未选足名额留待下次会议另行选举"]), CELLS), max_size=7)


@st.composite
def office_workbooks(draw: Any) -> bytes:
    wb = openpyxl.Workbook()
    for s in range(draw(st.integers(1, 3))):
        ws = wb.active if s == 0 else wb.create_sheet(f"表{s}")
        labels = draw(LABELS)
        for i, (label, value) in enumerate(labels, start=1):
            ws.cell(i, 1, label)
            try:
                ws.cell(i, 2, value)
            except (ValueError, TypeError, IllegalCharacterError):
                pass
        top = len(labels) + draw(st.integers(1, 3))
        for j, header in enumerate(draw(HEADERS), start=1):
            ws.cell(top, j, header)
        for r in range(top + 1, top + draw(st.integers(0, 12))):
            for j in range(1, draw(st.integers(1, 9))):
                value = draw(CELLS)
                try:
                    ws.cell(r, j, value)
                except (ValueError, TypeError, IllegalCharacterError):  # openpyxl's own refusals: not the reader's
                    pass
        for _ in range(draw(st.integers(0, 2))):
            r1, c1 = draw(st.integers(1, 8)), draw(st.integers(1, 6))
            try:
                ws.merge_cells(start_row=r1, start_column=c1, end_row=r1 + draw(st.integers(0, 3)),
                               end_column=c1 + draw(st.integers(0, 3)))
            except ValueError:
                pass
        if draw(st.booleans()):
            ws.column_dimensions["B"].hidden = True
        if draw(st.booleans()):
            ws.sheet_state = "hidden" if s else "visible"
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    if draw(st.sampled_from([False, False, False, True])):  # a damaged file: bytes flipped or cut
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:] if draw(st.booleans()) \
            else data[:at]
    return data


def _documented(call: Any) -> None:
    try:
        call()
    except InputError as exc:
        documented_error(exc)


@FUZZ
@given(data=office_workbooks(), loader=st.sampled_from(["roster", "attendance", "tallies", "suggestions"]))
def test_fuzz_workbooks(data, loader):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.xlsx"
        path.write_bytes(data)
        _documented({"roster": lambda: load_roster(path), "attendance": lambda: load_attendance(path, ROSTER),
                     "tallies": lambda: load_tallies(path),
                     "suggestions": lambda: load_rows(path, SUGGESTION_COLUMNS, set(ROSTER))}[loader])


# --- writing -----------------------------------------------------------------------------------------------


def test_a_written_workbook_has_a_frozen_header_fitted_widths_dates_as_dates_and_stable_bytes():
    rows = [["J001", "关于加快青山镇农村公路提档升级改造的建议", date(2027, 1, 5), 3, None, "=HYPERLINK(\"x\")"]]
    sheet = workbooks.Sheet("建议", [workbooks.Column(t) for t in ("编号", "建议标题", "交办日期", "轮次", "答复日期", "备注")],
                            rows, title="青山镇代表建议登记簿", notes=["统计期间：2027年"])
    made = workbooks.build_workbook([sheet], title="t", author="青山镇人民代表大会主席团", created=datetime(2027, 6, 30, 1))
    assert made == workbooks.build_workbook([sheet], title="t", author="青山镇人民代表大会主席团",
                                            created=datetime(2027, 6, 30, 1))
    ws = openpyxl.load_workbook(io.BytesIO(made))["建议"]
    assert ws.freeze_panes == "A3" and ws["A1"].value == "青山镇代表建议登记簿" and "A1:F1" in ws.merged_cells
    assert ws["C3"].is_date and ws["C3"].value == datetime(2027, 1, 5) and ws["D3"].value == 3
    assert ws["F3"].data_type == "s"  # a text that looks like a formula stays a text
    assert ws.column_dimensions["B"].width >= 2 * len("关于加快青山镇农村公路提档升级改造的建议")
    assert ws.column_dimensions["A"].width < ws.column_dimensions["B"].width


def test_registers_and_reports_are_written_as_xlsx_beside_their_docx_and_audited(db, settings, load_sample):
    session = load_sample()
    township = session.term.township
    fo.hand_over(db, township=township, on=date(2026, 12, 24), actor="presidium", settings=settings)
    start, end = date(2026, 12, 1), date(2027, 6, 30)
    registers.write_registers(db, township=township, start=start, end=end, actor="staff", settings=settings)
    reports.write_duty_records(db, township=township, start=start, end=end, actor="staff", settings=settings,
                               codes=["QS001", "QS004"])
    reports.handling_report(db, session_key=session.key, as_of=date(2027, 6, 30), actor="staff", settings=settings)
    result = sweeper.sweep_township(db, township=township, today=date(2027, 6, 1), actor="sweeper", settings=settings)
    assert result.escalated
    db.commit()  # files are written once their registration commits
    docs = {d.path: d for d in db.scalars(select(FollowupDocument).where(FollowupDocument.township_id == township.id))}
    root = Path(settings.output_dir) / township.code
    xlsx = [p for p in docs if p.endswith(".xlsx")]
    for spec in registers.load_registers():
        assert f"台账/{start}至{end}/{spec.title}.docx" in docs and f"台账/{start}至{end}/{spec.title}.xlsx" in docs
    assert f"台账/{start}至{end}/台账汇总.xlsx" in docs
    assert f"履职档案/{start}至{end}/代表履职情况汇总.xlsx" in docs
    assert f"报告/代表建议办理情况一览表-{session.key}-2027-06-30.xlsx" in docs
    [overdue] = [p for p in xlsx if p.startswith("催办/2027-06-01/逾期督办清单-")]
    assert overdue.replace(".xlsx", ".docx") in docs
    audited: dict[str, str] = {}
    for ev in db.scalars(select(AuditEvent).where(AuditEvent.township_id == township.id)):
        audited.update((ev.detail or {}).get("township_files") or {})
    for path in xlsx:
        import hashlib

        assert hashlib.sha256((root / path).read_bytes()).hexdigest() == docs[path].sha256 == audited[path], path
    sheet = openpyxl.load_workbook(root / f"台账/{start}至{end}/代表建议办理登记簿.xlsx").worksheets[0]
    assert sheet["A2"].value == "编号" and sheet.freeze_panes == "A3"
    dates = [c.value for c in sheet["E"][2:] if c.value is not None]
    assert dates and all(isinstance(v, datetime) for v in dates)  # 交办日期 as date cells
    listed = openpyxl.load_workbook(root / overdue)["逾期清单"]
    assert listed.max_row >= 3 and listed["H3"].value > 0  # 逾期天数 as a number


# --- the same loaders behind the CLI's session file and the dashboard ----------------------------------------


def test_a_session_file_may_name_an_xlsx_roster(tmp_path):
    from congress.inputs import load_session_file

    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    office_roster(folder / "代表名册.xlsx")
    (folder / "roster.csv").unlink()
    text = (folder / "session.yaml").read_text(encoding="utf-8")
    assert text.count("roster: roster.csv") == 1
    (folder / "session.yaml").write_text(text.replace("roster: roster.csv", "roster: 代表名册.xlsx"), encoding="utf-8")
    spec = load_session_file(folder / "session.yaml")
    assert spec.roster.encoding == "xlsx" and len(spec.roster.active) == 60


def test_the_dashboard_serves_templates_exports_and_articles(sqlite_site):  # noqa: F811 (the fixture)
    staff = sqlite_site.client("staff_a")
    response = staff.get("/templates/roster.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == workbooks.XLSX_MEDIA
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == ["代表名册", "填写说明"]
    assert staff.get("/templates/nonsense.xlsx").status_code == 404
    # the sample through the upload form, its roster as a workbook
    sample = (SAMPLE / "session.yaml").read_text(encoding="utf-8").replace("roster: roster.csv",
                                                                            "roster: 代表名册.xlsx")
    roster = office_roster(sqlite_site.root / "代表名册.xlsx").read_bytes()
    response = staff.post("/sessions/upload", data={"csrf_token": csrf(staff)}, files={
        "session_file": ("session.yaml", sample.encode("utf-8"), "application/x-yaml"),
        "roster_file": ("代表名册.xlsx", roster, workbooks.XLSX_MEDIA)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    filled = staff.get("/sessions/qingshan-18-3/templates/attendance.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(filled.content))["代表出席情况"]
    assert (ws["A3"].value, ws["B3"].value) == ("QS001", "王建华") and ws.max_row >= 62
    article = staff.get("/law/local-organic-law-2022.md/第二十五条")
    assert article.status_code == 200 and "以全体代表的过半数通过" in article.text
    assert staff.get("/law/local-organic-law-2022.md/25").status_code == 200
    assert staff.get("/law/local-organic-law-2022.md/第九百条").status_code == 404
    assert staff.get("/law/..%2Fsettings.py/第一条").status_code == 404
    unknown = staff.get("/holidays/2027").text  # where a deadline's "尚未收录" note links to
    assert "congress holidays add 2027 2027.yaml" in unknown and "第二百零三条" in unknown
    assert "2026年01月01日至2026年01月03日" in staff.get("/holidays/2026").text
    page = staff.get("/sessions/qingshan-18-3/attendance").text
    assert 'href="/law/local-organic-law-2022.md/%E7%AC%AC%E5%8D%81%E5%9B%9B%E6%9D%A1"' in page  # 第十四条
    assert staff.get("/county.xlsx").status_code == 403
    auditor = sqlite_site.client("auditor")
    county = openpyxl.load_workbook(io.BytesIO(auditor.get("/county.xlsx").content)).worksheets[0]
    assert county["A3"].value == "qingshan" and county["E3"].is_date


def test_resolution_items_are_imported_from_a_workbook_all_or_nothing(db, settings, load_sample, tmp_path):
    from tests.test_lifecycle import advance, give_all_inputs

    session = load_sample()
    give_all_inputs(db, session)
    advance(db, settings)
    path = tmp_path / "决议落实事项.xlsx"
    path.write_bytes(workbooks.template("items"))
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for r, row in enumerate([["R1", "government-work", "完成老街雨污分流一期", "镇村建办", date(2027, 1, 10),
                              date(2027, 3, 31), ""],
                             ["R2", "budget", "公开预算", "镇财政所", "2027年1月10日", "2027/2/10", "镇政府网站"],
                             ["R3", "nope", "x", "镇财政所", "2027-01-10", "2027-01-05", ""]], start=3):
        for j, value in enumerate(row, start=1):
            ws.cell(r, j, value)
    wb.save(path)
    with pytest.raises(InputError) as caught:
        fo.import_resolution_items(db, session_key=session.key, path=path, actor="staff", settings=settings)
    assert [(p.line, p.file.endswith("工作表“决议落实事项”")) for p in caught.value.problems] == [(5, True), (5, True)]
    assert not fo.township_items(db, session.term.township)
    ws.delete_rows(5)
    wb.save(path)
    items = fo.import_resolution_items(db, session_key=session.key, path=path, actor="staff", settings=settings)
    assert [(i.code, i.office) for i in items] == [("R1", "镇村建办"), ("R2", "镇财政所")]
    assert fo.rounds_of(db, items[1])[0].due_on == date(2027, 2, 10)

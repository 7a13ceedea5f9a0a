"""The workbooks we write open in a real spreadsheet program: LibreOffice Calc (as a stand-in for the Excel and
WPS on township PCs) reads every blank template and a written register, and shows the same cells openpyxl does."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from congress import workbooks

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def _calc_rows(path: Path, out: Path) -> list[list[str]]:
    """The first sheet as LibreOffice Calc reads it, exported as UTF-8 CSV (dates as shown)."""
    profile = out / "profile"
    done = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(out), str(path)],
                          capture_output=True, text=True, timeout=180)
    converted = out / f"{path.stem}.csv"
    assert converted.exists(), f"LibreOffice could not open {path.name}: {done.stdout} {done.stderr}"
    return [row for row in csv.reader(io.StringIO(converted.read_text(encoding="utf-8")))]


def _openpyxl_rows(data: bytes) -> list[list[str]]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("kind", workbooks.TEMPLATE_KINDS)
def test_every_blank_template_opens_in_calc_with_its_header(kind: str, tmp_path: Path) -> None:
    data = workbooks.template(kind)
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(data)
    calc = _calc_rows(path, tmp_path)
    mine = _openpyxl_rows(data)
    header = next(row for row in mine if sum(1 for v in row if v) > 1)  # the first row with several headings
    assert [v for v in header if v] == [v for v in calc[mine.index(header)] if v], kind


def test_a_written_register_opens_in_calc_with_dates_as_dates(tmp_path: Path) -> None:
    rows = [["J001", "关于加快青山镇农村公路提档升级改造的建议", date(2027, 1, 5), 3, None]]
    sheet = workbooks.Sheet("建议", [workbooks.Column(t) for t in ("编号", "建议标题", "交办日期", "轮次", "答复日期")],
                            rows, title="青山镇代表建议登记簿", notes=["统计期间：2027年"])
    path = tmp_path / "登记簿.xlsx"
    path.write_bytes(workbooks.build_workbook([sheet], title="t", author="青山镇人民代表大会主席团",
                                              created=datetime(2027, 6, 30, 1)))
    calc = _calc_rows(path, tmp_path)
    assert calc[0][0] == "青山镇代表建议登记簿"
    assert calc[1][:4] == ["编号", "建议标题", "交办日期", "轮次"]
    row = calc[2]
    assert row[0] == "J001" and row[1].startswith("关于加快") and row[3] == "3"
    # a date cell: Calc shows it in a date format, not as the serial number 46392
    assert "2027" in row[2] and "46392" not in row[2], row

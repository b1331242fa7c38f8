"""The exports open in the programs people use, and show the same figures there.

LibreOffice Calc opens the XLSX and the CSV (with the Norwegian default, semicolons), and
Poppler, the PDF engine behind most Linux viewers, reads the PDF. `.ci/run` installs both
(Debian's libreoffice-calc-nogui and poppler-utils); where they are missing the tests are
skipped with that reason. The figures are the hand-counted ones of ``test_json_fields``.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.reports.conftest import YEAR

SOFFICE = shutil.which("soffice")
PDFINFO, PDFTOTEXT = shutil.which("pdfinfo"), shutil.which("pdftotext")
needs_calc = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc is not installed "
                                "(apt-get install libreoffice-calc-nogui; .ci/run does)")
needs_poppler = pytest.mark.skipif(PDFINFO is None or PDFTOTEXT is None, reason="Poppler is not "
                                   "installed (apt-get install poppler-utils; .ci/run does)")
#: Calc's CSV filter: semicolon, double quote, UTF-8, from line 1, ..., every sheet (-1).
CSV_OUT = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false,false,-1"
CSV_IN = "CSV:59,34,76,1"


@pytest.fixture
def reviewer(client: Any, login_as: Any) -> Any:
    return login_as("reviewer", locale="en")


@pytest.fixture(scope="module")
def calc_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LibreOffice user profile for the module (the first start creates it)."""
    return tmp_path_factory.mktemp("libreoffice-profile")


def calc(profile: Path, source: Path, target: str, out: Path, *extra: str) -> list[Path]:
    """Open ``source`` in LibreOffice Calc and save it as ``target``; the files written."""
    out.mkdir(exist_ok=True)
    run = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--nologo", *extra, "--convert-to", target, "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    written = sorted(out.iterdir())
    assert run.returncode == 0, run.stderr
    assert written, f"LibreOffice wrote nothing: {run.stdout} {run.stderr}"
    return written


def _download(client: Any, path: str, to: Path) -> Path:
    response = client.get(path)
    assert response.status_code == 200, path
    to.write_bytes(response.data)
    return to


@needs_calc
def test_calc_opens_the_workbook_with_every_sheet_and_the_figures(client, town, reviewer, tmp_path,
                                                                   calc_profile):
    workbook = _download(client, f"/reports/{YEAR}.xlsx", tmp_path / "report.xlsx")
    sheets = load_workbook(workbook).sheetnames

    written = calc(calc_profile, workbook, CSV_OUT, tmp_path / "out")

    assert len(written) == len(sheets)  # one CSV per sheet: Calc read them all
    by_sheet = {path.stem.removeprefix("report-"): path for path in written}
    with by_sheet["Key information"].open(encoding="utf-8") as f:
        figures = {row[0]: row[2] for row in csv.reader(f, delimiter=";")}
    assert figures["active_agreements"] == "4"
    assert figures["agreements_with_follow_up"] == "4"
    assert figures["total_estimated_value_nok"] == "1800000"
    assert figures["suppliers_followed_up"] == "3"
    assert figures["questionnaires_sent"] == "6"
    assert figures["deviations_detected"] == "3"
    with by_sheet["4.A.3 Deviations"].open(encoding="utf-8") as f:
        assert len(list(csv.reader(f, delimiter=";"))) == 1 + 3  # header and the three deviations


@needs_calc
def test_calc_reads_the_csv_as_columns_and_numbers(client, town, reviewer, tmp_path, calc_profile):
    table = _download(client, f"/reports/{YEAR}/4a2_by_method.csv", tmp_path / "methods.csv")

    (converted,) = calc(calc_profile, table, "xlsx", tmp_path / "out", f"--infilter={CSV_IN}")

    rows = list(load_workbook(converted).active.iter_rows(values_only=True))
    assert len(rows[0]) > 2  # split on the semicolons
    assert all(isinstance(header, str) for header in rows[0])
    numbers = [cell for row in rows[1:] for cell in row if isinstance(cell, int | float)]
    assert sum(numbers) > 0  # figures arrive as numbers, not text
    assert not any(isinstance(cell, str) and re.fullmatch(r"\d+", cell) for row in rows[1:] for cell in row)


@needs_poppler
@pytest.mark.parametrize(("lang", "headings"), [
    ("en", ("4.A.2", "4.A.3", "2.A.2")),
    ("nb", ("4.A.2", "4.A.3", "2.A.2")),
])
def test_pdf_viewer_reads_a_tagged_a4_document_with_the_sections(client, town, reviewer, tmp_path, lang,
                                                                  headings):
    document = _download(client, f"/reports/{YEAR}.pdf?lang={lang}", tmp_path / f"report-{lang}.pdf")

    info = subprocess.run([PDFINFO, str(document)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert int(fields["Pages"]) >= 1
    assert fields["Tagged"].strip() == "yes"  # PDF/UA structure for screen readers
    assert "(A4)" in fields["Page size"]
    text = subprocess.run([PDFTOTEXT, "-layout", str(document), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in headings:
        assert heading in text
    assert str(YEAR) in text
